//! Just enough RFC 5322 / MIME reading to check a stored email: unfolded headers, the parts of
//! a multipart body, and quoted-printable / base64 transfer encodings.

use base64::Engine;

/// A parsed message or MIME part.
pub struct Mail {
    headers: Vec<(String, String)>,
    body: String,
}

impl Mail {
    /// Parses headers and body; line endings may be CRLF or LF.
    pub fn parse(raw: &str) -> Mail {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                // A folded continuation line belongs to the previous header.
                if let Some((_, value)) = headers.last_mut() {
                    value.push_str(line);
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_string(), value.to_string()));
            }
        }
        let headers = headers
            .into_iter()
            .map(|(name, value)| (name, value.trim().to_string()))
            .collect();
        Mail {
            headers,
            body: body.to_string(),
        }
    }

    /// The first header called `name` (case-insensitive), unfolded and trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body with its `Content-Transfer-Encoding` undone.
    pub fn decoded_body(&self) -> String {
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or("7bit")
            .to_ascii_lowercase();
        match encoding.as_str() {
            "quoted-printable" => decode_quoted_printable(&self.body),
            "base64" => {
                let compact: String = self.body.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("valid base64 part");
                String::from_utf8(bytes).expect("utf-8 part")
            }
            _ => self.body.clone(),
        }
    }

    /// The parts of a multipart body (empty for a single-part message).
    pub fn parts(&self) -> Vec<Mail> {
        let Some(boundary) = self.header("Content-Type").and_then(boundary) else {
            return Vec::new();
        };
        let delimiter = format!("--{boundary}");
        self.body
            .split(&delimiter)
            .skip(1)
            .take_while(|chunk| !chunk.starts_with("--"))
            .map(|chunk| Mail::parse(chunk.strip_prefix('\n').unwrap_or(chunk)))
            .collect()
    }

    /// The decoded text of the first part whose `Content-Type` starts with `mime_type`.
    pub fn part_text(&self, mime_type: &str) -> Option<String> {
        self.parts()
            .into_iter()
            .find(|part| {
                part.header("Content-Type")
                    .is_some_and(|value| value.to_ascii_lowercase().starts_with(mime_type))
            })
            .map(|part| part.decoded_body())
    }
}

/// The `boundary` parameter of a `Content-Type` value, without quotes.
fn boundary(content_type: &str) -> Option<String> {
    let start = content_type.to_ascii_lowercase().find("boundary=")? + "boundary=".len();
    let value = &content_type[start..];
    let value = match value.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or_default(),
        None => value.split(';').next().unwrap_or_default().trim(),
    };
    Some(value.to_string())
}

/// Undoes quoted-printable: `=XX` escapes and `=` soft line breaks.
fn decode_quoted_printable(text: &str) -> String {
    let mut bytes = Vec::with_capacity(text.len());
    let lines: Vec<&str> = text.split('\n').collect();
    for (index, line) in lines.iter().enumerate() {
        let line = line.trim_end_matches([' ', '\t']);
        let (content, soft_break) = match line.strip_suffix('=') {
            Some(content) => (content, true),
            None => (line, false),
        };
        let raw = content.as_bytes();
        let mut i = 0;
        while i < raw.len() {
            let escaped = if raw[i] == b'=' && i + 2 < raw.len() {
                let hex = &raw[i + 1..i + 3];
                let digit = |b: u8| (b as char).to_digit(16);
                digit(hex[0])
                    .zip(digit(hex[1]))
                    .map(|(high, low)| (high * 16 + low) as u8)
            } else {
                None
            };
            match escaped {
                Some(byte) => {
                    bytes.push(byte);
                    i += 3;
                }
                None => {
                    bytes.push(raw[i]);
                    i += 1;
                }
            }
        }
        if !soft_break && index + 1 < lines.len() {
            bytes.push(b'\n');
        }
    }
    String::from_utf8(bytes).expect("utf-8 after quoted-printable decoding")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_round_trip() {
        assert_eq!(
            decode_quoted_printable("Zo=C3=AB is=\n here\nnext"),
            "Zoë is here\nnext"
        );
    }
}
