//! `ram eval --batch FILE` (`-` = stdin): JSON Lines in, JSON Lines out.
//!
//! Each input line is
//! `{"policies":[<policy document>...],"request":{"action":..,"resource":..,"context":{KEY: string or [strings]}}}`
//! (`context` may be omitted: an empty context). stdout gets exactly one line per input line,
//! in order, with or without `--json`:
//!
//! - `{"decision":..,"matched":[..]}` (plus `failed_conditions` for `ImplicitDeny`), the
//!   policies named `/policies/N`, version `v1`, source `policy`;
//! - `{"error":{"code":"MalformedPolicyDocument","message":..,"path":"/policies/N","errors":[..]}}`
//!   for the first invalid document of the line (error paths are inside that document);
//! - `{"error":{"code":"InvalidInput","message":..}}` when the line is not JSON of that shape,
//!   has unknown members, an action not `<service>:<Name>`, an empty resource, a context key
//!   not `<code>:<key>` (or the same key twice, in any case), a context value that is neither
//!   a string nor an array of strings, is not UTF-8, or is blank (so that input and output
//!   line counts always match).
//!
//! Lines end with `\n` (a `\r` before it is dropped); a last line without `\n` counts, and a
//! final `\n` does not start another line. One bad line never stops the batch. The exit code
//! is 0 once every line has its output, 2 if the input cannot be read (reported on stderr,
//! after the output of the lines read so far) or stdout cannot be written.
//!
//! Output is buffered and flushed whenever the input has nothing more buffered, so a program
//! that writes one line and waits for its answer gets it, while bulk input is written in
//! large blocks.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;

use ram_core::{Explanation, PolicyError, PolicyRef, PolicySet, Request, RequestContext, Source};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::GlobalArgs;
use crate::cache::DocumentCache;
use crate::error::CliError;
use crate::input::{check_action, check_context_key, check_resource, quote};
use crate::output::{write_explanation_json, write_invalid_input, write_malformed};

/// Longest accepted input line, in bytes; a longer line gets an `InvalidInput` line and is
/// skipped, so memory stays bounded.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Size of the input and output buffers.
const BUFFER_BYTES: usize = 1 << 16;

/// Runs `ram eval --batch`. `--json` changes nothing: the output is always JSON Lines.
pub fn run(path: &Path, _global: &GlobalArgs) -> Result<(), CliError> {
    let input: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        let file = File::open(path)
            .map_err(|e| CliError::BatchInput(format!("cannot read batch file {}: {e}", path.display())))?;
        Box::new(file)
    };
    let reader = BufReader::with_capacity(BUFFER_BYTES, input);
    let out = BufWriter::with_capacity(BUFFER_BYTES, io::stdout().lock());
    process(reader, out, MAX_LINE_BYTES)
}

/// Evaluates every line of `reader`, writing one result line per input line to `out`.
fn process<R: Read, W: Write>(mut reader: BufReader<R>, mut out: W, max_line: usize) -> Result<(), CliError> {
    let mut batch = Batch::new();
    let mut line = Vec::with_capacity(4096);
    loop {
        if reader.buffer().is_empty() {
            // About to block on input: whoever waits for the answers so far gets them now.
            out.flush()?;
        }
        line.clear();
        let read = (&mut reader).take(max_line as u64 + 1).read_until(b'\n', &mut line);
        let n = match read {
            Ok(n) => n,
            Err(e) => {
                out.flush()?;
                return Err(CliError::BatchInput(format!("cannot read batch input: {e}")));
            }
        };
        if n == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        } else if line.len() > max_line {
            if let Err(e) = skip_line(&mut reader) {
                out.flush()?;
                return Err(CliError::BatchInput(format!("cannot read batch input: {e}")));
            }
            let message = format!("line is longer than {max_line} bytes");
            write_invalid_input(&mut out, &message)?;
            continue;
        }
        batch.line(&line, &mut out)?;
    }
    out.flush()?;
    Ok(())
}

/// Discards input up to and including the next `\n`.
fn skip_line<R: BufRead>(reader: &mut R) -> io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        if let Some(i) = buf.iter().position(|&b| b == b'\n') {
            reader.consume(i + 1);
            return Ok(());
        }
        let len = buf.len();
        reader.consume(len);
    }
}

/// One input line, borrowed from its text where possible.
struct Line<'a> {
    /// The policy documents, as their exact text.
    policies: Vec<&'a RawValue>,
    /// The request.
    request: LineRequest<'a>,
}

/// The `request` member of a line.
struct LineRequest<'a> {
    /// `<service>:<Name>`.
    action: Cow<'a, str>,
    /// The resource ARN.
    resource: Cow<'a, str>,
    /// Condition keys and their values; absent means empty.
    context: ContextIn<'a>,
}

// `Line` and `LineRequest` are read by hand rather than derived: a derived struct also
// accepts a JSON array of its fields (`[[...], {...}]`), which is not the documented shape.

/// Stores `value` in `slot`, or fails if the member was already given.
fn once<T, E: de::Error>(slot: &mut Option<T>, name: &'static str, value: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de: 'a, 'a> Deserialize<'de> for Line<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const FIELDS: &[&str] = &["policies", "request"];
        struct LineVisitor;
        impl<'de> Visitor<'de> for LineVisitor {
            type Value = Line<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object {\"policies\":[...],\"request\":{...}}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut policies, mut request) = (None, None);
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    match &*key.0 {
                        "policies" => once(&mut policies, "policies", map.next_value::<Vec<&'de RawValue>>()?)?,
                        "request" => once(&mut request, "request", map.next_value::<LineRequest<'de>>()?)?,
                        other => return Err(de::Error::unknown_field(other, FIELDS)),
                    }
                }
                Ok(Line {
                    policies: policies.ok_or_else(|| de::Error::missing_field("policies"))?,
                    request: request.ok_or_else(|| de::Error::missing_field("request"))?,
                })
            }
        }
        deserializer.deserialize_map(LineVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for LineRequest<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const FIELDS: &[&str] = &["action", "resource", "context"];
        struct RequestVisitor;
        impl<'de> Visitor<'de> for RequestVisitor {
            type Value = LineRequest<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a request object {\"action\":..,\"resource\":..,\"context\":{..}}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut action, mut resource, mut context) = (None, None, None);
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    match &*key.0 {
                        "action" => once(&mut action, "action", map.next_value::<Text<'de>>()?.0)?,
                        "resource" => once(&mut resource, "resource", map.next_value::<Text<'de>>()?.0)?,
                        "context" => once(&mut context, "context", map.next_value::<ContextIn<'de>>()?)?,
                        other => return Err(de::Error::unknown_field(other, FIELDS)),
                    }
                }
                Ok(LineRequest {
                    action: action.ok_or_else(|| de::Error::missing_field("action"))?,
                    resource: resource.ok_or_else(|| de::Error::missing_field("resource"))?,
                    context: context.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_map(RequestVisitor)
    }
}

/// A JSON string, borrowed when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// The values of one context key: a string or an array of strings.
enum Values<'a> {
    /// `"value"`.
    One(Text<'a>),
    /// `["value", ...]`.
    Many(Vec<Text<'a>>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Values<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValuesVisitor;
        impl<'de> Visitor<'de> for ValuesVisitor {
            type Value = Values<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a context value: a string or an array of strings")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Values::One(Text(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Values::One(Text(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Values::One(Text(Cow::Owned(v))))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
                while let Some(v) = seq.next_element::<Text<'de>>()? {
                    values.push(v);
                }
                Ok(Values::Many(values))
            }
        }
        deserializer.deserialize_any(ValuesVisitor)
    }
}

/// The `context` object, members in order (duplicates kept, to be reported).
#[derive(Default)]
struct ContextIn<'a>(Vec<(Text<'a>, Values<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for ContextIn<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ContextVisitor;
        impl<'de> Visitor<'de> for ContextVisitor {
            type Value = ContextIn<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a context object {\"<code>:<key>\": string or [strings]}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(16));
                while let Some(member) = map.next_entry::<Text<'de>, Values<'de>>()? {
                    members.push(member);
                }
                Ok(ContextIn(members))
            }
        }
        deserializer.deserialize_map(ContextVisitor)
    }
}

/// Why a line has no decision.
enum LineError {
    /// The line is not a well-formed request: `InvalidInput`.
    InvalidInput(String),
    /// Document `index` of the line is invalid: `MalformedPolicyDocument`.
    Malformed {
        /// Position of the document in `policies`.
        index: usize,
        /// Every problem of the document.
        error: PolicyError,
    },
}

/// State kept across lines: compiled documents and reusable names for explanations.
struct Batch {
    /// Documents already parsed, by text.
    documents: DocumentCache,
    /// `/policies/0`, `/policies/1`, ...: shared by every line.
    names: Vec<Arc<str>>,
    /// `v1`.
    version: Arc<str>,
}

impl Batch {
    /// A batch with nothing seen yet.
    fn new() -> Batch {
        Batch {
            documents: DocumentCache::new(),
            names: Vec::new(),
            version: Arc::from("v1"),
        }
    }

    /// Evaluates one line (without its line ending) and writes exactly one result line.
    fn line<W: Write>(&mut self, line: &[u8], out: &mut W) -> io::Result<()> {
        match self.evaluate(line) {
            Ok(explanation) => write_explanation_json(out, &explanation),
            Err(LineError::InvalidInput(message)) => write_invalid_input(out, &message),
            Err(LineError::Malformed { index, error }) => {
                let path = format!("/policies/{index}");
                let message = format!("{path}: {error}");
                write_malformed(out, &message, &path, error.problems())
            }
        }
    }

    /// The name of document `index` in explanations: `/policies/<index>`.
    fn name(&mut self, index: usize) -> Arc<str> {
        while self.names.len() <= index {
            let name = format!("/policies/{}", self.names.len());
            self.names.push(Arc::from(name));
        }
        self.names[index].clone()
    }

    /// Checks one line and, if it is a well-formed request with valid documents, explains it.
    fn evaluate(&mut self, line: &[u8]) -> Result<Explanation, LineError> {
        let text = std::str::from_utf8(line).map_err(|e| {
            LineError::InvalidInput(format!(
                "line is not UTF-8 text (invalid byte at column {})",
                e.valid_up_to() + 1
            ))
        })?;
        if text.trim().is_empty() {
            return Err(LineError::InvalidInput(String::from(
                "blank line; expected {\"policies\":[...],\"request\":{\"action\":..,\"resource\":..,\"context\":{..}}}",
            )));
        }
        let parsed: Line<'_> = serde_json::from_str(text).map_err(|e| LineError::InvalidInput(shape_message(&e)))?;
        let request = &parsed.request;
        check_action(&request.action).map_err(LineError::InvalidInput)?;
        check_resource(&request.resource).map_err(LineError::InvalidInput)?;
        let context = build_context(&request.context).map_err(LineError::InvalidInput)?;

        let mut builder = PolicySet::builder();
        for (index, raw) in parsed.policies.iter().enumerate() {
            let compiled = self
                .documents
                .parse(raw.get())
                .map_err(|error| LineError::Malformed { index, error })?;
            let name = self.name(index);
            builder.push(PolicyRef::new(name, self.version.clone(), Source::Policy), compiled);
        }
        let set = builder.build();
        Ok(set.explain(&Request::new(&request.action, &request.resource, &context)))
    }
}

/// The request context of a line; keys must be `<code>:<key>` and distinct (ignoring case).
fn build_context(members: &ContextIn<'_>) -> Result<RequestContext, String> {
    let mut context = RequestContext::new();
    for (i, (key, values)) in members.0.iter().enumerate() {
        let key = &*key.0;
        check_context_key(key)?;
        if members.0[..i].iter().any(|(k, _)| k.0.eq_ignore_ascii_case(key)) {
            return Err(format!(
                "context key {} is given twice (keys ignore case); give several values as an array",
                quote(key)
            ));
        }
        match values {
            Values::One(v) => context.add(key, &v.0),
            Values::Many(vs) => context.set(key, vs.iter().map(|v| &*v.0)),
        }
    }
    Ok(context)
}

/// An `InvalidInput` message for a line serde_json rejected: bad JSON, or the wrong shape.
fn shape_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    // serde_json appends " at line L column C"; within one line only the column matters.
    let detail = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => &full,
    };
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("line is not valid JSON (column {}): {detail}", e.column())
        }
        _ => format!(
            "line is not a batch request (column {}): {detail}; expected \
             {{\"policies\":[...],\"request\":{{\"action\":..,\"resource\":..,\"context\":{{..}}}}}}",
            e.column()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_lines(input: &[u8], max_line: usize) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        process(BufReader::new(input), &mut out, max_line).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    const ALLOW: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}"#;

    #[test]
    fn one_output_line_per_input_line() {
        let good = format!(r#"{{"policies":[{ALLOW}],"request":{{"action":"oss:GetObject","resource":"r"}}}}"#);
        let input = format!("{good}\n\n{good}\r\n  \nnot json\n{good}");
        let out = run_lines(input.as_bytes(), MAX_LINE_BYTES);
        assert_eq!(out.len(), 6);
        let codes: Vec<&str> = out
            .iter()
            .map(|v| v["decision"].as_str().or_else(|| v["error"]["code"].as_str()).unwrap())
            .collect();
        assert_eq!(
            codes,
            [
                "Allow",
                "InvalidInput",
                "Allow",
                "InvalidInput",
                "InvalidInput",
                "Allow"
            ]
        );
    }

    #[test]
    fn overlong_lines_are_skipped_with_an_error() {
        let good = format!(r#"{{"policies":[{ALLOW}],"request":{{"action":"oss:GetObject","resource":"r"}}}}"#);
        let long = format!("{}\n{good}\n", " ".repeat(good.len() + 50));
        let out = run_lines(long.as_bytes(), good.len() + 10);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0]["error"]["code"], "InvalidInput");
        assert_eq!(out[1]["decision"], "Allow");
    }

    #[test]
    fn only_the_documented_object_shape_is_accepted() {
        let input = [
            r#"[[],["oss:GetObject","r"]]"#,
            r#"{"policies":[],"request":["oss:GetObject","r"]}"#,
            r#"{"policies":[],"request":{"action":"oss:GetObject","resource":"r","extra":1}}"#,
            r#"{"policies":[],"request":{"action":"oss:GetObject","resource":"r"},"extra":1}"#,
            r#"{"policies":[],"request":{"action":"oss:GetObject","action":"oss:GetObject","resource":"r"}}"#,
            r#"{"policies":[],"policies":[],"request":{"action":"oss:GetObject","resource":"r"}}"#,
            r#"{"policies":[],"request":{"action":"oss:GetObject","resource":""}}"#,
            r#"{"policies":[],"request":{"action":"oss:GetObject","resource":"r","context":null}}"#,
            r#"{"policies":{},"request":{"action":"oss:GetObject","resource":"r"}}"#,
            r#"{"policies":[],"request":{"action":"oss:GetObject","resource":"r"}} {}"#,
            r#"{"request":{"resource":"r","action":"oss:Get\u004fbject"},"policies":[]}"#,
        ]
        .join("\n");
        let out = run_lines(input.as_bytes(), MAX_LINE_BYTES);
        assert_eq!(out.len(), 11);
        for v in &out[..10] {
            assert_eq!(v["error"]["code"], "InvalidInput", "{v}");
        }
        assert_eq!(out[10]["decision"], "ImplicitDeny");
    }

    #[test]
    fn context_values_and_duplicates() {
        let line = |ctx: &str| {
            format!(
                r#"{{"policies":[{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"oss:*","Resource":"*",
                   "Condition":{{"StringEquals":{{"oss:Prefix":"b"}}}}}}]}}],
                   "request":{{"action":"oss:ListObjects","resource":"r","context":{ctx}}}}}"#
            )
            .replace('\n', "")
        };
        let input = [
            line(r#"{"oss:Prefix":["a","b"]}"#),
            line(r#"{"oss:Prefix":"a"}"#),
            line(r#"{"oss:Prefix":"a","OSS:prefix":"b"}"#),
            line(r#"{"oss:Prefix":5}"#),
            line(r#"{"oss:Prefix":[5]}"#),
            line(r#"{"Prefix":"b"}"#),
            line(r#"{"oss:Pref\u0069x":"\u0062"}"#),
        ]
        .join("\n");
        let out = run_lines(input.as_bytes(), MAX_LINE_BYTES);
        let got: Vec<String> = out
            .iter()
            .map(|v| {
                v["decision"]
                    .as_str()
                    .or_else(|| v["error"]["code"].as_str())
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            got,
            [
                "Allow",
                "ImplicitDeny",
                "InvalidInput",
                "InvalidInput",
                "InvalidInput",
                "InvalidInput",
                "Allow"
            ]
        );
    }
}
