//! Email: Swedish message templates and the transports that send them (SMTP relay, or
//! `.eml` files in a folder for the embedded setup).

pub mod render;
pub mod transport;

pub use transport::Mailer;
