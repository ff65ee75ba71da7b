//! `multipart/form-data` bodies, for the three doors that take photos: the GraphQL
//! multipart request specification on `/graphql`, the resident site's tip form and the
//! Open311 door's `media`. One reader with the photo limits of
//! [`crate::domain::photo`], so no door buffers more than a tip may hold.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, PoisonError},
};

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, header},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::photo;

/// One part of the body: a text field, or a file when it has a file name.
pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

impl Part {
    pub fn is_file(&self) -> bool {
        self.file_name.is_some()
    }

    /// The part as text (lossy: a form field is UTF-8 by the form's `accept-charset`).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Why a body was not read, or which of its files were left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// More files than a tip may have photos (the extra ones are left out).
    TooManyFiles,
    /// A file over the size of one photo (left out).
    FileTooLarge,
    /// A text field over `max_text` bytes, or the whole body over what a tip's photos
    /// and fields can take: nothing was read.
    TooLarge,
    /// Not a readable `multipart/form-data` body.
    Malformed,
}

/// A body's parts, and the first file that was left out, if any: a form is read to the
/// end, so its text can be shown again next to the error.
pub struct Form {
    pub parts: Vec<Part>,
    pub left_out: Option<Refusal>,
}

impl Form {
    /// The text fields, the last value of each name.
    pub fn fields(&self) -> std::collections::HashMap<String, String> {
        self.parts
            .iter()
            .filter(|p| !p.is_file())
            .map(|p| (p.name.clone(), p.text()))
            .collect()
    }
}

/// The replica's slots for reading and handling bodies with photos: `UPLOADS_AT_ONCE` in
/// all, and at most `UPLOADS_PER_CLIENT` held by one client (an IPv4 address or an IPv6
/// prefix, as the rate limits key them), so a few slow uploads from one address cannot
/// take every slot from everyone else.
pub struct Uploads {
    slots: Arc<Semaphore>,
    per_client: usize,
    ipv6_prefix: u8,
    held: Mutex<HashMap<IpAddr, usize>>,
}

impl Uploads {
    pub fn new(at_once: usize, per_client: usize, ipv6_prefix: u8) -> Arc<Self> {
        Arc::new(Self {
            slots: Arc::new(Semaphore::new(at_once.max(1))),
            per_client: per_client.max(1),
            ipv6_prefix,
            held: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for one body from `client`, held until its answer is given: `None` when
    /// the client holds its share or every slot is taken, so a burst is answered at once
    /// (503 and `Retry-After`) instead of buffering gigabytes.
    pub fn admit(self: &Arc<Self>, client: IpAddr) -> Option<UploadSlot> {
        let client = crate::ratelimit::rate_key(client, self.ipv6_prefix);
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if held.get(&client).copied().unwrap_or(0) >= self.per_client {
            return None;
        }
        let permit = self.slots.clone().try_acquire_owned().ok()?;
        *held.entry(client).or_default() += 1;
        Some(UploadSlot {
            _permit: permit,
            uploads: self.clone(),
            client,
        })
    }
}

/// One taken upload slot; dropping it gives the slot back.
pub struct UploadSlot {
    _permit: OwnedSemaphorePermit,
    uploads: Arc<Uploads>,
    client: IpAddr,
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        let mut held = self
            .uploads
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = held.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.client);
            }
        }
    }
}

/// `Retry-After` for an upload refused because every slot was taken.
pub const BUSY_RETRY_AFTER_SECS: u64 = 10;

/// A door's own answer to an upload refused for want of a slot, with `Retry-After`.
pub fn busy(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(
        header::RETRY_AFTER,
        axum::http::HeaderValue::from(BUSY_RETRY_AFTER_SECS),
    );
    response
}

/// Most parts one body may have (the tip form has about fifteen).
const MAX_PARTS: usize = 64;

/// Whether `headers` say the body is `multipart/form-data`.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// Read every part. Files beyond [`photo::MAX_PHOTOS`] or over
/// [`photo::MAX_PHOTO_BYTES`] are read past and left out (`Form::left_out`); a text
/// field over `max_text` bytes or a body over what the photos and fields can take ends
/// the read. Empty file inputs (a form sent without choosing a file) are left out.
pub async fn parts(headers: &HeaderMap, body: Body, max_text: usize) -> Result<Form, Refusal> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or(Refusal::Malformed)?;
    let boundary = multer::parse_boundary(content_type).map_err(|_| Refusal::Malformed)?;
    // Room for the largest photos a tip may have and a few form fields; an oversized
    // file is read past, not kept.
    let whole = (photo::MAX_PHOTOS * photo::MAX_PHOTO_BYTES + 4 * max_text) as u64;
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(whole));
    let mut multipart =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut form = Form {
        parts: Vec::new(),
        left_out: None,
    };
    let mut files = 0usize;
    loop {
        // A form has a dozen fields: thousands of tiny parts are not a form.
        if form.parts.len() >= MAX_PARTS {
            return Err(Refusal::TooLarge);
        }
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(err) => return Err(refusal(&err)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(ToString::to_string);
        let limit = if file_name.is_some() {
            photo::MAX_PHOTO_BYTES
        } else {
            max_text
        };
        let mut bytes = Vec::new();
        let mut over = false;
        while let Some(chunk) = field.chunk().await.map_err(|err| refusal(&err))? {
            if over || bytes.len() + chunk.len() > limit {
                over = true;
                bytes = Vec::new();
            } else {
                bytes.extend_from_slice(&chunk);
            }
        }
        match &file_name {
            _ if over && file_name.is_none() => return Err(Refusal::TooLarge),
            Some(_) if over => {
                form.left_out.get_or_insert(Refusal::FileTooLarge);
                continue;
            }
            // A file input left empty still sends a part, with no name and no bytes.
            Some(file) if file.is_empty() && bytes.is_empty() => continue,
            Some(_) => {
                files += 1;
                if files > photo::MAX_PHOTOS {
                    form.left_out.get_or_insert(Refusal::TooManyFiles);
                    continue;
                }
            }
            None => {}
        }
        form.parts.push(Part {
            name,
            file_name,
            content_type,
            bytes: Bytes::from(bytes),
        });
    }
    Ok(form)
}

fn refusal(err: &multer::Error) -> Refusal {
    match err {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            Refusal::TooLarge
        }
        _ => Refusal::Malformed,
    }
}

/// The files of the field `name`, as the tip intake takes them.
pub fn photos(form: &Form, name: &str) -> Vec<crate::service::tips::PhotoUpload> {
    form.parts
        .iter()
        .filter(|p| p.is_file() && p.name == name)
        .map(|p| crate::service::tips::PhotoUpload {
            content_type: p.content_type.clone(),
            bytes: p.bytes.to_vec(),
        })
        .collect()
}

/// The text async-graphql's `Upload` scalar reads as "file number N of this request".
/// Only the multipart reader may write it (after the request is checked): a client that
/// writes it itself, in the document or a variable, could point at files that are not
/// there (a panic in the scalar) or at one file many times over.
const UPLOAD_MARKER: &str = "#__graphql_file__:";

/// Whether the request names an uploaded file by itself (see `UPLOAD_MARKER`).
pub fn names_an_upload(request: &async_graphql::Request) -> bool {
    fn in_value(value: &async_graphql::Value) -> bool {
        match value {
            async_graphql::Value::String(s) => s.contains(UPLOAD_MARKER),
            async_graphql::Value::List(items) => items.iter().any(in_value),
            async_graphql::Value::Object(fields) => fields.values().any(in_value),
            _ => false,
        }
    }
    request.query.contains(UPLOAD_MARKER) || request.variables.values().any(in_value)
}

/// A browser sends `multipart/form-data` to any site without asking first, so a
/// multipart GraphQL request must carry a header that no plain form can set: one that
/// makes a browser ask the server first (a CORS preflight), as Apollo Server requires.
pub fn preflighted(headers: &HeaderMap) -> bool {
    ["apollo-require-preflight", "x-apollo-operation-name"]
        .iter()
        .any(|name| {
            headers
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| !v.trim().is_empty())
        })
}
