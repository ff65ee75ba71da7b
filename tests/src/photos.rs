//! Photo fixtures: real JPEG and PNG files as phones and hostile clients send them
//! (EXIF with GPS, a camera serial and a thumbnail; a decompression bomb; a file that
//! lies about its type), and the GraphQL multipart request that carries them.

use std::io::{Cursor, Write};

use exif::{Field, In, Rational, Tag, Value};
use image::ImageEncoder;
use serde_json::{Value as Json, json};

use crate::TestApp;

/// A camera serial number, to look for in stored bytes.
pub const SERIAL: &str = "SN-4711-MELLERUD";
/// A camera make, likewise.
pub const MAKE: &str = "Kamerafabriken";

/// A plain JPEG of `width` × `height` with some structure in it.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 7 % 256) as u8,
            (y * 5 % 256) as u8,
            ((x + y) % 256) as u8,
        ])
    });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
        .write_image(
            image.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("jpeg");
    bytes
}

/// A plain PNG of `width` × `height`.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(
            image.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("png");
    bytes
}

fn dms(degrees: f64) -> Vec<Rational> {
    let d = degrees.abs();
    let whole = d.floor();
    let minutes = ((d - whole) * 60.0).floor();
    let seconds = ((d - whole) * 60.0 - minutes) * 60.0;
    vec![
        Rational::from((whole as u32, 1)),
        Rational::from((minutes as u32, 1)),
        Rational::from(((seconds * 10_000.0).round() as u32, 10_000)),
    ]
}

/// A JPEG as a phone writes it: an EXIF block (APP1) with the camera's make and serial,
/// its GPS position at `latitude`/`longitude`, and a thumbnail.
pub fn jpeg_with_gps(width: u32, height: u32, latitude: f64, longitude: f64) -> Vec<u8> {
    let thumbnail = jpeg(16, 12);
    let fields = [
        Field {
            tag: Tag::Make,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![MAKE.as_bytes().to_vec()]),
        },
        Field {
            tag: Tag::BodySerialNumber,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![SERIAL.as_bytes().to_vec()]),
        },
        Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![if latitude < 0.0 {
                b"S".to_vec()
            } else {
                b"N".to_vec()
            }]),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(dms(latitude)),
        },
        Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![if longitude < 0.0 {
                b"W".to_vec()
            } else {
                b"E".to_vec()
            }]),
        },
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(dms(longitude)),
        },
    ];
    let mut writer = exif::experimental::Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    writer.set_jpeg(&thumbnail, In::THUMBNAIL);
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false).expect("exif");
    let tiff = tiff.into_inner();

    let plain = jpeg(width, height);
    let mut out = Vec::with_capacity(plain.len() + tiff.len() + 16);
    out.extend_from_slice(&plain[..2]); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    let length = u16::try_from(tiff.len() + 8).expect("EXIF fits one segment");
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A few hundred bytes of PNG that claim a 20,000 × 20,000 canvas (400 megapixels,
/// 1.2 GB decoded): its header is honest PNG, its data a stream of zeros.
pub fn png_bomb() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).expect("len").to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }
    let side: u32 = 20_000;
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    // Zeros compress about a thousandfold: the whole file is a few hundred bytes.
    let idat = deflate_zeros(64 * 1024);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A zlib stream holding `n` zero bytes, compressed with fixed Huffman codes: a literal
/// zero, then copies of length 258 at distance 1.
fn deflate_zeros(n: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        len: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, bits: u32) {
            self.acc |= value << self.len;
            self.len += bits;
            while self.len >= 8 {
                self.out.push((self.acc & 0xFF) as u8);
                self.acc >>= 8;
                self.len -= 8;
            }
        }
        /// Huffman codes go most significant bit first.
        fn code(&mut self, code: u32, bits: u32) {
            let mut reversed = 0;
            for i in 0..bits {
                reversed |= ((code >> i) & 1) << (bits - 1 - i);
            }
            self.put(reversed, bits);
        }
    }
    let mut bits = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        len: 0,
    };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman
    bits.code(0x30, 8); // literal 0
    let mut left = n.saturating_sub(1);
    while left >= 258 {
        bits.code(0b1100_0101, 8); // length 258 (code 285)
        bits.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.code(0x30, 8);
    }
    bits.code(0, 7); // end of block (256)
    if bits.len > 0 {
        bits.put(0, 8 - bits.len);
    }
    // The Adler-32 of the data is not checked before the canvas size is: any will do.
    bits.out.extend_from_slice(&[0, 0, 0, 1]);
    bits.out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// One file of a multipart request.
pub struct Upload<'a> {
    pub bytes: &'a [u8],
    pub file_name: &'a str,
    pub content_type: &'a str,
}

/// A file part of a multipart form, as a browser sends one.
pub fn file_part(bytes: Vec<u8>, file_name: &str, content_type: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(content_type)
        .expect("mime")
}

/// `submitTip` as a GraphQL multipart request: `input` with `photos` set to the files.
/// `preflight` adds the header that makes a browser ask first.
pub async fn submit_with_photos(
    app: &TestApp,
    input: Json,
    files: &[Upload<'_>],
    preflight: bool,
) -> reqwest::Response {
    let mut request = photos_request(app, input, files);
    if preflight {
        request = request.header("apollo-require-preflight", "true");
    }
    request.send().await.expect("request sent")
}

/// [`submit_with_photos`] (with the preflight header) from the client `forwarded_for`,
/// as a trusted proxy in front of the server would say.
pub async fn submit_with_photos_from(
    app: &TestApp,
    forwarded_for: &str,
    input: Json,
    files: &[Upload<'_>],
) -> reqwest::Response {
    photos_request(app, input, files)
        .header("apollo-require-preflight", "true")
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .expect("request sent")
}

/// The GraphQL multipart request of a `submitTip` with `files` as its photos.
fn photos_request(app: &TestApp, mut input: Json, files: &[Upload<'_>]) -> reqwest::RequestBuilder {
    input["photos"] = Json::Array(files.iter().map(|_| Json::Null).collect());
    let operations = json!({
        "query": crate::tips::SUBMIT,
        "variables": { "input": input },
    });
    let map: serde_json::Map<String, Json> = (0..files.len())
        .map(|i| {
            (
                i.to_string(),
                json!([format!("variables.input.photos.{i}")]),
            )
        })
        .collect();
    let mut form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", Json::Object(map).to_string());
    for (i, file) in files.iter().enumerate() {
        form = form.part(
            i.to_string(),
            file_part(file.bytes.to_vec(), file.file_name, file.content_type),
        );
    }
    app.post("/graphql").multipart(form)
}

/// A GraphQL multipart upload that sends the start of its body and then waits: it holds
/// an upload slot until [`SlowUpload::finish`] ends its body (malformed, so it is 400).
pub struct SlowUpload {
    more: tokio::sync::mpsc::Sender<Vec<u8>>,
    answer: tokio::task::JoinHandle<Result<u16, reqwest::Error>>,
}

impl SlowUpload {
    /// Start one, from `forwarded_for` when given (through a trusted proxy).
    pub async fn start(app: &TestApp, forwarded_for: Option<&str>) -> Self {
        let (more, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv()
                .await
                .map(|chunk| (Ok::<_, std::io::Error>(chunk), rx))
        });
        more.send(
            b"--slow\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n".to_vec(),
        )
        .await
        .expect("sent");
        let mut request = app
            .post("/graphql")
            .header("content-type", "multipart/form-data; boundary=slow")
            .header("apollo-require-preflight", "true");
        if let Some(client) = forwarded_for {
            request = request.header("x-forwarded-for", client);
        }
        let request = request.body(reqwest::Body::wrap_stream(stream));
        let answer = tokio::spawn(async move { request.send().await.map(|r| r.status().as_u16()) });
        Self { more, answer }
    }

    /// End the body and return the HTTP status of the answer.
    pub async fn finish(self) -> u16 {
        drop(self.more);
        self.answer.await.expect("joined").expect("answered")
    }
}

/// Whether `bytes` hold any EXIF data that a reader finds.
pub fn has_exif(bytes: &[u8]) -> bool {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .is_ok()
}

/// Write `bytes` to a file in `dir` (for the browser's file input).
pub fn write_fixture(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).expect("fixture file");
    file.write_all(bytes).expect("fixture written");
    path
}
