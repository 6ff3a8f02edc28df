//! Request parameters: the decoded query (and a form body), read as RAM reads them.

use ram_web::encoding::{parse_query, parse_query_bytes};

use crate::error::ApiError;

/// The parameters of one call. Every value is text; `+` already decoded as a space.
#[derive(Clone, Debug, Default)]
pub struct Params {
    items: Vec<(String, String)>,
}

impl Params {
    /// Parses the raw query and, for a form body, its fields. Bytes that are not UTF-8 are
    /// replaced (such a value then fails the name checks instead of being misread).
    pub fn parse(query: &str, form: Option<&[u8]>) -> Params {
        let mut raw = parse_query(query);
        if let Some(form) = form {
            raw.extend(parse_query_bytes(form));
        }
        Params {
            items: raw
                .into_iter()
                .map(|(k, v)| {
                    (
                        String::from_utf8_lossy(&k).into_owned(),
                        String::from_utf8_lossy(&v).into_owned(),
                    )
                })
                .collect(),
        }
    }

    /// Parameters from pairs (tests).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Params {
        Params {
            items: pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
        }
    }

    /// The first value of `name`, if present and not empty (the SDKs send an unset
    /// optional parameter as absent, some clients as empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A required parameter (`Missing<Name>` when absent or empty).
    pub fn req(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::missing(name))
    }

    /// An optional boolean: `true`/`false` in any case (Python sends `True`/`False`).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::invalid(
                name,
                format!("{name} must be true or false, found {v:?}"),
            )),
        }
    }

    /// An optional unsigned number.
    pub fn u32(&self, name: &str) -> Result<Option<u32>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid(name, format!("{name} must be a non-negative integer, found {v:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_is_space_and_bools_any_case() {
        let p = Params::parse("DisplayName=Bob+Smith&A=True&B=false&C=yes&E=", None);
        assert_eq!(p.get("DisplayName"), Some("Bob Smith"));
        assert_eq!(p.bool("A").unwrap(), Some(true));
        assert_eq!(p.bool("B").unwrap(), Some(false));
        assert_eq!(p.bool("C").unwrap_err().code, "InvalidParameter.C");
        assert_eq!(p.get("E"), None);
        assert_eq!(p.req("E").unwrap_err().code, "MissingE");
    }

    #[test]
    fn numbers() {
        let p = Params::parse("MaxItems=10&Bad=-1", None);
        assert_eq!(p.u32("MaxItems").unwrap(), Some(10));
        assert!(p.u32("Bad").is_err());
    }
}
