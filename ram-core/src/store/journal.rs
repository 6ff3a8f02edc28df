//! The journal: an append-only file of committed batches next to the state file.
//!
//! One record a line, each line `<crc32 of the JSON, 8 hex digits> <JSON>\n`. The first line
//! is the header `{"FormatVersion":1,"StateId":..,"Base":R}` (the journal continues the
//! snapshot of revision `R` of the state `StateId`); each following line is one committed
//! write, numbered from `R + 1`:
//!
//! - a batch: `{"Revision":N,"Now":"<RFC 3339>","Changes":[...]}`, replayed with
//!   [`Directory::apply_at`](crate::directory::Directory::apply_at);
//! - a section: `{"Revision":N,"Section":"<name>","Value":<JSON or null to remove>}`.
//!
//! A record counts once its newline is written and the file is fsync'd. A last line without
//! its newline or whose checksum does not match is a torn write: ignored (and cut off by the
//! next writer). Anything else that does not read (a bad line before the last, a checksum
//! that matches JSON that does not parse, revisions out of order) is corruption.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::FORMAT_VERSION;
use crate::directory::Change;

/// CRC-32 (IEEE 802.3), table-driven.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut c = !0u32;
    for &b in bytes {
        c = TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// The first line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(crate) struct Header {
    pub format_version: u64,
    pub state_id: String,
    pub base: u64,
}

/// A record as written (borrowing the batch).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RecordOut<'a> {
    pub revision: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<&'a [Change]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'a Value>,
}

/// A record as read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct RecordIn {
    revision: u64,
    #[serde(default)]
    now: Option<Timestamp>,
    #[serde(default)]
    changes: Option<Vec<Change>>,
    #[serde(default)]
    section: Option<String>,
    #[serde(default)]
    value: Option<Value>,
}

/// What a record does.
#[derive(Debug)]
pub(crate) enum Entry {
    /// A batch applied at `now`.
    Batch { now: Timestamp, changes: Vec<Change> },
    /// A section set (or removed with `None`).
    Section { name: String, value: Option<Value> },
}

/// One line of JSON with its checksum.
pub(crate) fn line<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let json = serde_json::to_vec(value)?;
    let mut out = format!("{:08x} ", crc32(&json)).into_bytes();
    out.extend_from_slice(&json);
    out.push(b'\n');
    Ok(out)
}

pub(crate) fn header_line(state_id: &str, base: u64) -> Result<Vec<u8>, serde_json::Error> {
    line(&Header {
        format_version: FORMAT_VERSION,
        state_id: state_id.to_owned(),
        base,
    })
}

/// A journal as read.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub header: Header,
    /// The records, numbered `header.base + 1 ..`.
    pub entries: Vec<(u64, Entry)>,
    /// The length of the good part (everything before a torn last record).
    pub good_len: u64,
    /// Whether a torn last record was found after `good_len`.
    pub torn: bool,
}

/// Why a line does not read.
enum LineError {
    /// Torn: no checksum match (a write cut short).
    Torn,
    /// Intact (checksum matches) yet unreadable.
    Bad(String),
}

fn read_line<T: for<'de> Deserialize<'de>>(line: &[u8]) -> Result<T, LineError> {
    if line.len() < 10 || line[8] != b' ' {
        return Err(LineError::Torn);
    }
    let crc = std::str::from_utf8(&line[..8])
        .ok()
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .ok_or(LineError::Torn)?;
    let json = &line[9..];
    if crc32(json) != crc {
        return Err(LineError::Torn);
    }
    serde_json::from_slice(json).map_err(|e| LineError::Bad(e.to_string()))
}

/// Parses a journal; `Err` is the detail of a corruption.
pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let mut lines = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(n) => {
                lines.push((start, &bytes[start..start + n], true));
                start += n + 1;
            }
            None => {
                lines.push((start, &bytes[start..], false));
                start = bytes.len();
            }
        }
    }
    let Some(&(_, first, complete)) = lines.first() else {
        return Err("the journal is empty (it should start with its header)".to_owned());
    };
    if !complete {
        return Err("the journal's header line is incomplete".to_owned());
    }
    let header: Header = read_line(first).map_err(|e| match e {
        LineError::Torn => "the journal's header line is damaged (checksum mismatch)".to_owned(),
        LineError::Bad(e) => format!("the journal's header line does not read: {e}"),
    })?;
    let mut entries = Vec::new();
    let last = lines.len() - 1;
    for (expected, (i, &(offset, text, complete))) in (header.base + 1..).zip(lines.iter().enumerate().skip(1)) {
        let torn = |why: &str| {
            if i == last {
                Ok(())
            } else {
                Err(format!("line {} is damaged ({why}) and is not the last one", i + 1))
            }
        };
        if !complete {
            torn("no end of line")?;
            return Ok(Parsed {
                header,
                entries,
                good_len: offset as u64,
                torn: true,
            });
        }
        let record: RecordIn = match read_line(text) {
            Ok(r) => r,
            Err(LineError::Torn) => {
                torn("checksum mismatch")?;
                return Ok(Parsed {
                    header,
                    entries,
                    good_len: offset as u64,
                    torn: true,
                });
            }
            Err(LineError::Bad(e)) => return Err(format!("line {} does not read: {e}", i + 1)),
        };
        if record.revision != expected {
            return Err(format!(
                "line {} has Revision {}, expected {expected}",
                i + 1,
                record.revision
            ));
        }
        let entry = match record {
            RecordIn {
                now: Some(now),
                changes: Some(changes),
                section: None,
                value: None,
                ..
            } => Entry::Batch { now, changes },
            RecordIn {
                now: None,
                changes: None,
                section: Some(name),
                value,
                ..
            } => Entry::Section { name, value },
            _ => {
                return Err(format!(
                    "line {} is neither a batch (Now, Changes) nor a section (Section, Value)",
                    i + 1
                ));
            }
        };
        entries.push((expected, entry));
    }
    Ok(Parsed {
        header,
        entries,
        good_len: bytes.len() as u64,
        torn: false,
    })
}
