//! Sending email over SMTP.
