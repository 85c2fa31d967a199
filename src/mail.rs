//! Outgoing e-mail: plain-text UTF-8 messages over SMTP (lettre), sent only when `LOA_SMTP_URL`
//! is set. `smtp://host:port` talks plain SMTP (loopback or an internal relay), `smtps://` wraps
//! the connection in TLS (rustls); user and password may sit in the URL.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;

/// How long one delivery may take before it counts as failed: a stuck relay must not hold up the
/// whole reminder run.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a message could not be sent. Its text is kept in the reminder log, so it never carries the
/// SMTP URL (which may hold a password).
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("địa chỉ e-mail không hợp lệ: {0}")]
    Address(String),
    #[error("không tạo được thư: {0}")]
    Build(String),
    #[error("máy chủ thư từ chối hoặc không trả lời: {0}")]
    Smtp(String),
    #[error("LOA_SMTP_URL không dùng được: {0}")]
    Config(String),
}

/// One message to one person.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to_name: String,
    pub to_email: String,
    pub subject: String,
    pub body: String,
}

/// A configured SMTP sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// A mailer for `url`, sending as `from` (`Tên <dia-chi@…>` or a bare address).
    pub fn new(url: &str, from: &str) -> Result<Mailer, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Config(e.to_string()))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|_| MailError::Address(from.to_owned()))?;
        Ok(Mailer { transport, from })
    }

    /// The mailer of this configuration, or `None` when mail is off (no `LOA_SMTP_URL`).
    pub fn from_config(config: &Config, from: &str) -> Result<Option<Mailer>, MailError> {
        config
            .smtp_url
            .as_ref()
            .map(|url| Mailer::new(&url.0, from))
            .transpose()
    }

    /// Sends one plain-text UTF-8 message.
    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let to = Mailbox::new(
            Some(mail.to_name.clone()),
            mail.to_email
                .parse()
                .map_err(|_| MailError::Address(mail.to_email.clone()))?,
        );
        // Quoted-printable: Vietnamese lines soon pass the 76 bytes 8-bit bodies may carry, and it
        // keeps the mail source readable where base64 would not.
        let body =
            Body::new_with_encoding(mail.body.clone(), ContentTransferEncoding::QuotedPrintable)
                .unwrap_or_else(Body::new);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Smtp(e.to_string()))
    }
}

/// The sender address: `LOA_MAIL_FROM` when set, else the agency's own e-mail when `site.toml`
/// gives one, else a no-reply address at the site's host.
pub fn sender(site_name: &str, site_email: &str, config: &Config) -> String {
    if let Some(from) = &config.mail_from {
        return from.clone();
    }
    let address = if site_email.contains('@') && site_email.parse::<Mailbox>().is_ok() {
        site_email.to_owned()
    } else {
        let host = config.base_url.host_str().unwrap_or("localhost");
        let host = if host.contains('.') {
            host.to_owned()
        } else {
            format!("{host}.invalid")
        };
        format!("khong-tra-loi@{host}")
    };
    let name = site_name.replace(['"', '<', '>', '\\'], "");
    format!("\"{name}\" <{address}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_transport() {
        let from = "Loa <loa@example.vn>";
        assert!(Mailer::new("smtp://127.0.0.1:2525", from).is_ok());
        assert!(Mailer::new("smtps://u:p@mail.example.vn", from).is_ok());
        assert!(matches!(
            Mailer::new("smtp://127.0.0.1:2525", "not an address"),
            Err(MailError::Address(_))
        ));
    }

    #[test]
    fn the_sender_falls_back_to_a_no_reply_address() {
        let config = Config::defaults();
        let s = sender("Sở \"Nội vụ\"", "", &config);
        assert_eq!(s, "\"Sở Nội vụ\" <khong-tra-loi@127.0.0.1>");
        assert!(s.parse::<Mailbox>().is_ok());
        let s = sender("Sở Nội vụ", "snv@binhphuoc.gov.vn", &config);
        assert_eq!(s, "\"Sở Nội vụ\" <snv@binhphuoc.gov.vn>");
        // LOA_MAIL_FROM wins over both.
        let config = Config {
            mail_from: Some("Loa <thong-bao@loa.example.vn>".to_owned()),
            ..Config::defaults()
        };
        let s = sender("Sở Nội vụ", "snv@binhphuoc.gov.vn", &config);
        assert_eq!(s, "Loa <thong-bao@loa.example.vn>");
    }
}
