//! Typed identifiers.
//!
//! The API passes every identifier as a bare JSON string. Wrapping each kind in its own type means
//! a subject id can never be sent where an event id is expected, and an API key (a secret) is
//! redacted whenever it is printed with `{:?}`.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value received from the API or typed by a person.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The identifier as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the identifier.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

macro_rules! public_id {
    ($(#[$doc:meta])* $name:ident) => {
        string_id!($(#[$doc])* $name);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

public_id!(
    /// A gallery: a set of enrolled subjects with a fixed number of slots.
    GalleryId
);
public_id!(
    /// An application: a named API key that gives access to one gallery.
    ApplicationId
);
public_id!(
    /// A subject (a person) enrolled in a gallery.
    SubjectId
);
public_id!(
    /// One enrolled face of a subject.
    EventId
);
public_id!(
    /// A bulk-registration job.
    BatchId
);
public_id!(
    /// A tag name. Tags must exist in the gallery before they are used.
    TagName
);
public_id!(
    /// One record of a bulk-registration job (not a subject or event id).
    RecordId
);
public_id!(
    /// A gallery audit (`/v1.1/jobs/audit`, a local-service extension).
    AuditId
);

string_id!(
    /// An application's API key, sent as `x-api-key`. It is a secret: `Debug` redacts it and it has
    /// no `Display`; call [`ApiKey::expose`] where the raw value is really needed.
    ApiKey
);

impl ApiKey {
    /// The raw key, for the `x-api-key` header or the keyring.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_key_never_shows_in_debug_output() {
        let key = ApiKey::new("73n4n74p1k3y");
        assert!(!format!("{key:?}").contains("73n4n74p1k3y"));
        assert_eq!(key.expose(), "73n4n74p1k3y");
    }

    #[test]
    fn ids_serialise_as_bare_strings() {
        let id = SubjectId::new("necidguid-1");
        assert_eq!(
            serde_json::to_string(&id).ok().as_deref(),
            Some("\"necidguid-1\"")
        );
    }
}
