//! Photos on a tip. A file is accepted only as what its own bytes say it is (JPEG, PNG or
//! WebP), decoded under limits that refuse decompression bombs before any pixel buffer
//! is allocated, and encoded anew: nothing but pixels survives (no EXIF, GPS position,
//! camera serial, thumbnail, XMP or comment). The position a camera wrote is read before
//! it is dropped, so that a resident who asks for it can make it the tip's place.
//!
//! CPU-bound and pure: the service runs [`clean`] on a blocking thread.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};

use super::{Invalid, Param};

/// At most this many photos per tip.
pub const MAX_PHOTOS: usize = 3;
/// Largest file, as uploaded.
pub const MAX_PHOTO_BYTES: usize = 8 * 1024 * 1024;
/// Largest sum of a tip's files, as uploaded.
pub const MAX_TOTAL_BYTES: usize = 20 * 1024 * 1024;
/// Most pixels in one photo (24 megapixels; a phone's main camera takes 12 to 24).
pub const MAX_PIXELS: u64 = 24_000_000;
/// Longest side, so a 1 × 24,000,000 strip is refused too.
const MAX_SIDE: u32 = 12_000;
/// JPEG quality of the re-encoded photo: visually lossless for a phone picture.
const JPEG_QUALITY: u8 = 85;

/// The formats accepted, as found in the file's first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoFormat {
    Jpeg,
    Png,
    WebP,
}

impl PhotoFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::WebP => "image/webp",
        }
    }

    /// The format a stored content type names.
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let media = content_type.split(';').next().unwrap_or_default().trim();
        match media.to_ascii_lowercase().as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            "image/webp" => Some(Self::WebP),
            _ => None,
        }
    }

    fn sniff(bytes: &[u8]) -> Option<Self> {
        match image::guess_format(bytes).ok()? {
            ImageFormat::Jpeg => Some(Self::Jpeg),
            ImageFormat::Png => Some(Self::Png),
            ImageFormat::WebP => Some(Self::WebP),
            _ => None,
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Png => ImageFormat::Png,
            Self::WebP => ImageFormat::WebP,
        }
    }
}

/// A photo as it is stored: re-encoded pixels only.
#[derive(Clone, PartialEq, Eq)]
pub struct Photo {
    pub format: PhotoFormat,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Debug for Photo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Photo")
            .field("format", &self.format)
            .field("bytes", &self.bytes.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

fn invalid(index: usize, message: impl Into<String>) -> Invalid {
    Invalid {
        swedish: true,
        ..super::invalid("photos", message)
    }
    .with(
        "index",
        Param::Int(i64::try_from(index).unwrap_or(i64::MAX)),
    )
}

/// The checks that need no decoding: how many files, how large, and that each one is a
/// JPEG, PNG or WebP file whose declared type (if any) matches its bytes. `sizes_and_types`
/// holds each file's length, first bytes and declared content type.
pub fn check_files<'a>(
    files: impl ExactSizeIterator<Item = (&'a [u8], Option<&'a str>)>,
) -> Result<(), Invalid> {
    if files.len() > MAX_PHOTOS {
        return Err(invalid(
            MAX_PHOTOS,
            format!("Du kan bifoga högst {MAX_PHOTOS} bilder."),
        )
        .with("max", Param::Int(MAX_PHOTOS as i64)));
    }
    let mut total = 0usize;
    for (index, (bytes, declared)) in files.enumerate() {
        check_file(index, bytes, declared)?;
        total = total.saturating_add(bytes.len());
        if total > MAX_TOTAL_BYTES {
            return Err(invalid(
                index,
                format!(
                    "Bilderna får vara högst {} MB tillsammans.",
                    MAX_TOTAL_BYTES / (1024 * 1024)
                ),
            )
            .with("max", Param::Int(MAX_TOTAL_BYTES as i64)));
        }
    }
    Ok(())
}

/// One file's cheap checks; the format its bytes show.
fn check_file(index: usize, bytes: &[u8], declared: Option<&str>) -> Result<PhotoFormat, Invalid> {
    let n = index + 1;
    if bytes.is_empty() {
        return Err(invalid(index, format!("Bild {n} är tom.")));
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(invalid(
            index,
            format!(
                "Bild {n} är för stor: högst {} MB per bild.",
                MAX_PHOTO_BYTES / (1024 * 1024)
            ),
        )
        .with("max", Param::Int(MAX_PHOTO_BYTES as i64)));
    }
    let not_a_photo = || {
        invalid(
            index,
            format!("Bild {n} är inte en JPEG-, PNG- eller WebP-bild."),
        )
        .with(
            "allowed",
            Param::List(vec!["image/jpeg", "image/png", "image/webp"]),
        )
    };
    let format = PhotoFormat::sniff(bytes).ok_or_else(not_a_photo)?;
    // A type the client declared must be the one the bytes show. An unspecific type
    // (none, or `application/octet-stream`) leaves the bytes to decide.
    if let Some(declared) = declared.map(str::trim).filter(|d| !d.is_empty()) {
        let unspecific = declared
            .split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/octet-stream"));
        if !unspecific && PhotoFormat::from_content_type(declared) != Some(format) {
            return Err(invalid(
                index,
                format!("Bild {n} är inte den bildtyp filen säger att den är."),
            ));
        }
    }
    Ok(format)
}

/// Check, decode and re-encode one file (`index` counts from 0, for messages).
pub fn clean(index: usize, bytes: &[u8], declared: Option<&str>) -> Result<Photo, Invalid> {
    let format = check_file(index, bytes, declared)?;
    if format == PhotoFormat::WebP && !riff_chunks_fit(bytes) {
        // A chunk that claims more bytes than the file has would make the decoder
        // allocate what it claims (gigabytes) before finding out.
        return Err(invalid(
            index,
            format!("Bild {} kunde inte läsas.", index + 1),
        ));
    }
    let n = index + 1;
    let unreadable = || invalid(index, format!("Bild {n} kunde inte läsas."));
    let too_large = || {
        invalid(
            index,
            format!(
                "Bild {n} har för många bildpunkter: högst {} megapixlar.",
                MAX_PIXELS / 1_000_000
            ),
        )
        .with("max", Param::Int(MAX_PIXELS as i64))
    };

    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(format.image_format());
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // The decoded canvas (at most 8 bytes a pixel for 16-bit PNGs with alpha) and the
    // decoder's own buffers; a canvas larger than the pixel limit is refused first.
    limits.max_alloc = Some(MAX_PIXELS * 8 + 64 * 1024 * 1024);
    reader.limits(limits);
    // Reading the header only: the dimensions are known before anything is allocated.
    let mut decoder = reader.into_decoder().map_err(|err| match err {
        image::ImageError::Limits(_) => too_large(),
        _ => unreadable(),
    })?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS || width == 0 || height == 0 {
        return Err(too_large());
    }
    // The orientation tag is read from JPEG's EXIF segment (at most 64 KB); a WebP's
    // metadata chunks are not read at all.
    let orientation = match format {
        PhotoFormat::WebP => image::metadata::Orientation::NoTransforms,
        _ => decoder
            .orientation()
            .unwrap_or(image::metadata::Orientation::NoTransforms),
    };
    let mut image = DynamicImage::from_decoder(decoder).map_err(|err| match err {
        image::ImageError::Limits(_) => too_large(),
        _ => unreadable(),
    })?;
    // The camera's orientation is applied to the pixels, since the tag that said it goes.
    image.apply_orientation(orientation);
    let photo = encode(format, &image).ok_or_else(unreadable)?;
    if photo.bytes.len() > MAX_PHOTO_BYTES {
        return Err(invalid(
            index,
            format!(
                "Bild {n} blir för stor när den sparas: högst {} MB.",
                MAX_PHOTO_BYTES / (1024 * 1024)
            ),
        )
        .with("max", Param::Int(MAX_PHOTO_BYTES as i64)));
    }
    Ok(photo)
}

/// Whether every chunk of a RIFF (WebP) file lies within the file.
fn riff_chunks_fit(bytes: &[u8]) -> bool {
    let Some(mut rest) = bytes.get(12..) else {
        return false;
    };
    while rest.len() >= 8 {
        let size = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let padded = size.saturating_add(size & 1);
        match rest.get(8..).and_then(|r| r.get(padded..)) {
            Some(next) => rest = next,
            None => return rest.len().saturating_sub(8) >= size,
        }
    }
    rest.is_empty()
}

/// Encode the pixels alone. JPEG stays JPEG; PNG and WebP become PNG (lossless, so
/// screenshots and drawings stay sharp; the stored type says which), unless the PNG
/// would be larger than an upload may be: then JPEG (a compressed file can hold a
/// picture that no lossless encoder stores small).
fn encode(format: PhotoFormat, image: &DynamicImage) -> Option<Photo> {
    let photo = encode_as(format, image)?;
    if photo.format == PhotoFormat::Png && photo.bytes.len() > MAX_PHOTO_BYTES {
        return encode_as(PhotoFormat::Jpeg, image);
    }
    Some(photo)
}

fn encode_as(format: PhotoFormat, image: &DynamicImage) -> Option<Photo> {
    let (width, height) = (image.width(), image.height());
    let mut bytes = Vec::new();
    let format = match format {
        PhotoFormat::Jpeg => {
            let rgb = image.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
                .write_image(rgb.as_raw(), width, height, image::ExtendedColorType::Rgb8)
                .ok()?;
            PhotoFormat::Jpeg
        }
        PhotoFormat::Png | PhotoFormat::WebP => {
            let encoder = image::codecs::png::PngEncoder::new(&mut bytes);
            if image.color().has_alpha() {
                let rgba = image.to_rgba8();
                encoder
                    .write_image(
                        rgba.as_raw(),
                        width,
                        height,
                        image::ExtendedColorType::Rgba8,
                    )
                    .ok()?;
            } else {
                let rgb = image.to_rgb8();
                encoder
                    .write_image(rgb.as_raw(), width, height, image::ExtendedColorType::Rgb8)
                    .ok()?;
            }
            PhotoFormat::Png
        }
    };
    Some(Photo {
        format,
        bytes,
        width,
        height,
    })
}

/// The GPS position in a JPEG's EXIF data, in degrees (south and west negative). Only
/// JPEG is read: its EXIF segment is at most 64 KB, while PNG and WebP metadata chunks
/// can be as large as the file (and phones write JPEG).
pub fn location(bytes: &[u8]) -> Option<(f64, f64)> {
    use exif::{In, Tag, Value};
    if PhotoFormat::sniff(bytes) != Some(PhotoFormat::Jpeg) {
        return None;
    }
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()?;
    let degrees = |tag: Tag, reference: Tag, negative: u8| -> Option<f64> {
        let field = exif.get_field(tag, In::PRIMARY)?;
        let Value::Rational(parts) = &field.value else {
            return None;
        };
        let part = |i: usize| {
            parts
                .get(i)
                .filter(|r| r.denom != 0)
                .map_or(0.0, exif::Rational::to_f64)
        };
        let value = part(0) + part(1) / 60.0 + part(2) / 3600.0;
        let sign = match exif.get_field(reference, In::PRIMARY).map(|f| &f.value) {
            Some(Value::Ascii(texts))
                if texts.first().and_then(|t| t.first()) == Some(&negative) =>
            {
                -1.0
            }
            _ => 1.0,
        };
        (value.is_finite() && !parts.is_empty()).then_some(sign * value)
    };
    let latitude = degrees(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')?;
    let longitude = degrees(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W')?;
    Some((latitude, longitude))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
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

    #[test]
    fn a_png_is_re_encoded_with_its_size() {
        let photo = clean(0, &png(40, 30), Some("image/png")).expect("clean");
        assert_eq!(photo.format, PhotoFormat::Png);
        assert_eq!((photo.width, photo.height), (40, 30));
        assert_eq!(location(&png(4, 4)), None);
    }

    #[test]
    fn a_declared_type_must_match_the_bytes() {
        let err = clean(1, &png(4, 4), Some("image/jpeg")).expect_err("lying type");
        assert_eq!(err.field, "photos");
        assert!(err.message.contains("Bild 2"), "{}", err.message);
        assert!(clean(0, &png(4, 4), Some("application/octet-stream")).is_ok());
        assert!(clean(0, &png(4, 4), None).is_ok());
        assert!(clean(0, b"GIF89a not accepted", Some("image/gif")).is_err());
        assert!(clean(0, b"<svg xmlns='http://www.w3.org/2000/svg'/>", None).is_err());
    }

    #[test]
    fn too_many_or_too_large_files_are_refused_before_decoding() {
        let one = png(2, 2);
        let four = vec![(one.as_slice(), None); 4];
        assert!(check_files(four.into_iter()).is_err());
        let big = vec![0xFF_u8; MAX_PHOTO_BYTES + 1];
        assert!(check_files(std::iter::once((big.as_slice(), None))).is_err());
        let three = vec![(one.as_slice(), Some("image/png")); 3];
        assert!(check_files(three.into_iter()).is_ok());
    }

    #[test]
    fn a_webp_chunk_larger_than_the_file_is_refused_before_decoding() {
        // RIFF/WEBP, then an EXIF chunk that claims 4 GB and holds nothing.
        let mut webp = b"RIFF".to_vec();
        webp.extend_from_slice(&30u32.to_le_bytes());
        webp.extend_from_slice(b"WEBPVP8X");
        webp.extend_from_slice(&10u32.to_le_bytes());
        webp.extend_from_slice(&[0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        webp.extend_from_slice(b"EXIF");
        webp.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        assert!(!riff_chunks_fit(&webp));
        let err = clean(0, &webp, Some("image/webp")).expect_err("refused");
        assert!(err.message.contains("kunde inte läsas"), "{}", err.message);
        // A well-formed file passes the walk.
        let mut ok = b"RIFF".to_vec();
        ok.extend_from_slice(&12u32.to_le_bytes());
        ok.extend_from_slice(b"WEBPABCD");
        ok.extend_from_slice(&1u32.to_le_bytes());
        ok.extend_from_slice(&[7, 0]);
        assert!(riff_chunks_fit(&ok));
    }

    #[test]
    fn a_truncated_file_is_unreadable_not_a_panic() {
        let whole = png(64, 64);
        let err = clean(0, &whole[..whole.len() / 2], None).expect_err("truncated");
        assert!(err.message.contains("kunde inte läsas"), "{}", err.message);
    }
}
