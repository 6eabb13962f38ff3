//! Text encodings of incoming files: UTF-8 with or without a byte-order mark,
//! UTF-16 with one, and Windows-1252 (a superset of Latin-1 in practice) for
//! files that are not valid UTF-8. Decoding streams: a file is never read whole.

use std::io::{self, Read};

use encoding_rs::{Decoder, Encoding, UTF_8, WINDOWS_1252};

/// How much of a file is looked at to choose its encoding.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// Chooses the encoding of a file from its first bytes: a byte-order mark
/// decides; else valid UTF-8 is UTF-8; else Windows-1252.
pub fn sniff(head: &[u8]) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(head) {
        return enc;
    }
    match std::str::from_utf8(head) {
        Ok(_) => UTF_8,
        // A multi-byte character cut at the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() => UTF_8,
        Err(_) => WINDOWS_1252,
    }
}

/// The name shown to people for an encoding.
pub fn label(enc: &'static Encoding, bom: bool) -> String {
    match (enc.name(), bom) {
        ("UTF-8", true) => "UTF-8 (with BOM)".into(),
        ("windows-1252", _) => "Windows-1252 / Latin-1".into(),
        (name, _) => name.into(),
    }
}

/// A reader that turns bytes in any supported encoding into UTF-8, dropping
/// the byte-order mark. Malformed sequences become U+FFFD.
pub struct Utf8Reader<R: Read> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    finished: bool,
    output: Vec<u8>,
    out_pos: usize,
    pub encoding: &'static Encoding,
    pub bom: bool,
}

impl<R: Read> Utf8Reader<R> {
    /// Reads the head of `inner` to choose the encoding, then decodes as it goes.
    pub fn new(mut inner: R) -> io::Result<Self> {
        let mut head = vec![0u8; SNIFF_BYTES];
        let mut filled = 0;
        while filled < head.len() {
            let n = inner.read(&mut head[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        head.truncate(filled);
        let encoding = sniff(&head);
        let bom = Encoding::for_bom(&head).is_some();
        // `new_decoder_with_bom_removal` strips a BOM of the chosen encoding.
        let decoder = encoding.new_decoder_with_bom_removal();
        let end = head.len();
        head.resize(head.len().max(SNIFF_BYTES), 0);
        Ok(Self {
            inner,
            decoder,
            input: head,
            start: 0,
            end,
            eof: false,
            finished: false,
            output: Vec::with_capacity(SNIFF_BYTES * 3),
            out_pos: 0,
            encoding,
            bom,
        })
    }

    pub fn encoding_label(&self) -> String {
        label(self.encoding, self.bom)
    }

    fn refill(&mut self) -> io::Result<()> {
        if self.start == self.end && !self.eof {
            self.start = 0;
            self.end = 0;
            let n = self.inner.read(&mut self.input)?;
            self.end = n;
            if n == 0 {
                self.eof = true;
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_pos < self.output.len() {
                let n = (self.output.len() - self.out_pos).min(buf.len());
                buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            self.output.clear();
            self.out_pos = 0;
            self.refill()?;
            if self.finished {
                return Ok(0);
            }
            if self.eof && self.start == self.end {
                self.finished = true;
                // Flush what the decoder holds (an incomplete sequence at the end).
                let cap = self.decoder.max_utf8_buffer_length(0).unwrap_or(16).max(16);
                self.output.resize(cap, 0);
                let (_, _, written, _) = self.decoder.decode_to_utf8(&[], &mut self.output, true);
                self.output.truncate(written);
                continue;
            }
            let chunk = &self.input[self.start..self.end];
            let cap = self.decoder.max_utf8_buffer_length(chunk.len()).unwrap_or(chunk.len() * 3 + 16);
            self.output.resize(cap, 0);
            let (_, read, written, _) = self.decoder.decode_to_utf8(chunk, &mut self.output, false);
            self.start += read;
            self.output.truncate(written);
        }
    }
}

/// Decodes a whole byte slice (small inputs: header rows, tests).
pub fn decode_all(bytes: &[u8]) -> String {
    let enc = sniff(&bytes[..bytes.len().min(SNIFF_BYTES)]);
    let (text, _, _) = enc.decode(bytes);
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> (String, String) {
        let mut r = Utf8Reader::new(bytes).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        (s, r.encoding_label())
    }

    #[test]
    fn encodings_are_recognized() {
        assert_eq!(read_all("Zoë;Brontë\n".as_bytes()), ("Zoë;Brontë\n".into(), "UTF-8".into()));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice("Zoë".as_bytes());
        assert_eq!(read_all(&bom), ("Zoë".into(), "UTF-8 (with BOM)".into()));
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "Zoë,x".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(read_all(&utf16), ("Zoë,x".into(), "UTF-16LE".into()));
        let latin1 = [b'Z', b'o', 0xEB, b' ', 0x80];
        assert_eq!(read_all(&latin1), ("Zoë €".into(), "Windows-1252 / Latin-1".into()));
    }

    #[test]
    fn long_inputs_stream_through_small_buffers() {
        let line = "Émile;Zoë;€\n".repeat(20_000);
        let mut r = Utf8Reader::new(line.as_bytes()).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(String::from_utf8(out).unwrap(), line);
    }
}
