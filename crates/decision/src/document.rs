//! The configuration's JSON shape as serde reads it: the keys of each object and the kind of
//! value each key takes.
//!
//! serde_json parses (nesting is bounded: it stops at 128 levels) and the derived code refuses
//! unknown keys (listing the known ones), repeated keys and missing ones. The visitors here
//! refuse a value of the wrong kind showing the value, which serde's own message leaves out
//! for lists and objects. What values mean together (a host in two servers, a name used
//! twice) is checked in `config`.

use crate::mode::Mode;
use crate::pattern::Pattern;
use crate::text::{Bounded, shown, write_quoted};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt::{self, Write};
use std::marker::PhantomData;

/// The plugin configuration.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    #[serde(default)]
    pub mode: Mode,
    #[serde(default, deserialize_with = "present")]
    pub servers: Option<List<Object<Server>>>,
    #[serde(default, deserialize_with = "present")]
    pub exempt_hosts: Option<List<Host>>,
    #[serde(default, deserialize_with = "present")]
    pub check_http1: Option<Flag>,
}

/// One Gateway server.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<Name>,
    pub hosts: List<Host>,
}

/// A key that is present must hold a value: `null` is refused like any other wrong kind.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A JSON object read into `T`.
pub struct Object<T>(pub T);

/// A JSON list.
pub struct List<T>(pub Vec<T>);

/// `true` or `false`.
pub struct Flag(pub bool);

/// A server name: non-empty printable ASCII without spaces (it is logged as is).
pub struct Name(pub String);

/// A host pattern, and the text it was written as (refusals quote it).
pub struct Host {
    pub text: String,
    pub pattern: Pattern,
}

/// An object that has a name in refusals.
pub trait Described {
    /// As in "must be {OBJECT}".
    const OBJECT: &'static str;
    /// As in "must be {LIST}".
    const LIST: &'static str = "a list";
}

impl Described for Document {
    const OBJECT: &'static str = "a JSON object";
}

impl Described for Server {
    const OBJECT: &'static str = "an object with \"hosts\" and an optional \"name\"";
    const LIST: &'static str = "a list of servers";
}

/// A value that must be of one JSON kind; any other kind is refused with the value shown.
trait Kind<'de>: Sized {
    /// As in "must be {EXPECTED}, got 7".
    const EXPECTED: &'static str;
    /// A list of these, as in "must be {LIST}".
    const LIST: &'static str = "a list";

    fn from_str<E: de::Error>(text: &str) -> Result<Self, E> {
        Err(wrong(Self::EXPECTED, &shown(text)))
    }

    fn from_bool<E: de::Error>(value: bool) -> Result<Self, E> {
        Err(wrong(Self::EXPECTED, &value))
    }

    fn from_seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        let mut got = Bounded::default();
        Render::new(&mut got).visit_seq(seq)?;
        Err(wrong(Self::EXPECTED, &got.finish()))
    }

    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        let mut got = Bounded::default();
        Render::new(&mut got).visit_map(map)?;
        Err(wrong(Self::EXPECTED, &got.finish()))
    }
}

fn wrong<E: de::Error>(expected: &str, got: &dyn fmt::Display) -> E {
    E::custom(format_args!("must be {expected}, got {got}"))
}

impl<'de, T: Deserialize<'de> + Described> Kind<'de> for Object<T> {
    const EXPECTED: &'static str = T::OBJECT;
    const LIST: &'static str = T::LIST;

    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Object)
    }
}

impl<'de, T: Kind<'de>> Kind<'de> for List<T> {
    const EXPECTED: &'static str = T::LIST;

    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(Expect::<T>(PhantomData))? {
            items.push(item);
        }
        Ok(List(items))
    }
}

impl Kind<'_> for Flag {
    const EXPECTED: &'static str = "true or false";

    fn from_bool<E: de::Error>(value: bool) -> Result<Self, E> {
        Ok(Flag(value))
    }
}

impl Kind<'_> for Mode {
    const EXPECTED: &'static str = "\"strict\" or \"log_only\"";

    fn from_str<E: de::Error>(text: &str) -> Result<Self, E> {
        Mode::from_name(text).ok_or_else(|| wrong(Self::EXPECTED, &shown(text)))
    }
}

impl Kind<'_> for Name {
    const EXPECTED: &'static str = "a non-empty string of printable ASCII without spaces";

    fn from_str<E: de::Error>(text: &str) -> Result<Self, E> {
        match !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic()) {
            true => Ok(Name(text.to_owned())),
            false => Err(wrong(Self::EXPECTED, &shown(text))),
        }
    }
}

impl Kind<'_> for Host {
    const EXPECTED: &'static str = "a string";
    const LIST: &'static str = "a list of host patterns";

    fn from_str<E: de::Error>(text: &str) -> Result<Self, E> {
        match Pattern::parse(text) {
            Ok(pattern) => Ok(Host {
                text: text.to_owned(),
                pattern,
            }),
            Err(why) => Err(E::custom(format_args!(
                "{} is not a valid host pattern: {why}",
                shown(text)
            ))),
        }
    }
}

/// Reads one value as `T` (a [`Kind`]), whatever kind of JSON value it turns out to be.
struct Expect<T>(PhantomData<T>);

impl<'de, T: Kind<'de>> DeserializeSeed<'de> for Expect<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Kind<'de>> Visitor<'de> for Expect<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTED)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<T, E> {
        T::from_bool(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        Err(wrong(T::EXPECTED, &value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        Err(wrong(T::EXPECTED, &value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<T, E> {
        Err(wrong(T::EXPECTED, &value))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        T::from_str(text)
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Err(wrong(T::EXPECTED, &"null"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::from_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_map(map)
    }
}

macro_rules! deserialize_as_kind {
    ($($ty:ident $(<$param:ident>)?),*) => {$(
        impl<'de $(, $param: Kind<'de>)?> Deserialize<'de> for $ty $(<$param>)? {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Expect::<Self>(PhantomData).deserialize(d)
            }
        }
    )*};
}

deserialize_as_kind!(List<T>, Flag, Mode, Name, Host);

impl<'de, T: Deserialize<'de> + Described> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Expect::<Self>(PhantomData).deserialize(d)
    }
}

/// Writes a JSON value compactly (strings quoted, [`crate::text::Ascii`] escapes the rest
/// later), as a refusal shows a value of the wrong kind.
struct Render<'o> {
    out: &'o mut Bounded,
    /// Written first: the separator before a list item, an object key or a value.
    before: &'static str,
}

impl<'o> Render<'o> {
    fn new(out: &'o mut Bounded) -> Render<'o> {
        Render { out, before: "" }
    }

    fn then(&mut self, before: &'static str) -> Render<'_> {
        Render {
            out: &mut *self.out,
            before,
        }
    }

    fn write(self, value: &dyn fmt::Display) {
        let _ = write!(self.out, "{}{value}", self.before);
    }
}

impl<'de> DeserializeSeed<'de> for Render<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Render<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<(), E> {
        self.write(&value);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<(), E> {
        self.write(&value);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<(), E> {
        self.write(&value);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<(), E> {
        self.write(&value);
        Ok(())
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        let _ = self.out.write_str(self.before);
        let _ = write_quoted(self.out, text);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.write(&"null");
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let _ = write!(self.out, "{}[", self.before);
        let mut separator = "";
        while seq.next_element_seed(self.then(separator))?.is_some() {
            separator = ",";
        }
        let _ = self.out.write_char(']');
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let _ = write!(self.out, "{}{{", self.before);
        let mut separator = "";
        while map.next_key_seed(self.then(separator))?.is_some() {
            map.next_value_seed(self.then(":"))?;
            separator = ",";
        }
        let _ = self.out.write_char('}');
        Ok(())
    }
}
