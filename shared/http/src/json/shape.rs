//! The check that runs before serde reads a body: an object wherever `T`'s schema says
//! `object` (serde's derived structs would also take an array), and a string wherever it says
//! `string` (serde would take an enum's variant from a map). It walks the bytes with serde's
//! visitor machinery and builds nothing: no `serde_json::Value`, no key copies.

use std::{
    any::TypeId,
    cell::RefCell,
    collections::HashMap,
    fmt,
    sync::{Arc, OnceLock, RwLock},
};

use poem_openapi::{
    registry::{MetaSchemaRef, Registry},
    types::Type,
};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::FieldError;

/// Why a body was refused before serde read it.
#[derive(Debug)]
pub(super) enum Refused {
    /// A value in the wrong place: an array for an object, a number for a string.
    Shape(FieldError),
    /// Not JSON at all.
    Syntax(serde_json::Error),
}

/// Walks `bytes` against the shape of `T`'s schema.
///
/// # Errors
/// The first value of the wrong shape, with its path and rule, or the syntax error.
pub(super) fn check<T: Type + 'static>(bytes: &[u8], rule: fn(&str) -> Option<String>) -> Result<(), Refused> {
    let shape = shape_of::<T>();
    let walk = Walk {
        path: RefCell::default(),
        refused: RefCell::default(),
        rule,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let walked = At {
        shape: &shape,
        walk: &walk,
    }
    .deserialize(&mut deserializer)
    .and_then(|()| deserializer.end());
    match (walked, walk.refused.into_inner()) {
        (_, Some(refused)) => Err(Refused::Shape(refused)),
        (Err(e), None) => Err(Refused::Syntax(e)),
        (Ok(()), None) => Ok(()),
    }
}

/// Where a body must hold a JSON object, or a string, and what is inside.
#[derive(Debug)]
enum Shape {
    Object(Vec<(&'static str, Shape)>),
    Array(Box<Shape>),
    Text,
    Other,
}

/// The shape of `T`'s schema, worked out once per type.
fn shape_of<T: Type + 'static>() -> Arc<Shape> {
    static SHAPES: OnceLock<RwLock<HashMap<TypeId, Arc<Shape>>>> = OnceLock::new();
    let shapes = SHAPES.get_or_init(Default::default);
    let id = TypeId::of::<T>();
    if let Some(shape) = shapes.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return shape.clone();
    }
    let mut registry = Registry::new();
    T::register(&mut registry);
    let shape = Arc::new(shape_from(&T::schema_ref(), &registry, 0));
    shapes
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, shape.clone());
    shape
}

fn shape_from(schema: &MetaSchemaRef, registry: &Registry, depth: usize) -> Shape {
    let schema = match schema {
        MetaSchemaRef::Inline(schema) => schema.as_ref(),
        MetaSchemaRef::Reference(name) => match registry.schemas.get(name) {
            Some(schema) => schema,
            None => return Shape::Other,
        },
    };
    if depth > 16 {
        return Shape::Other;
    }
    // An optional or nullable field wraps its type: `allOf: [{$ref}]`.
    if schema.ty.is_empty()
        && let Some(inner) = schema.all_of.iter().chain(&schema.any_of).chain(&schema.one_of).next()
    {
        return shape_from(inner, registry, depth + 1);
    }
    match schema.ty {
        "object" => Shape::Object(
            schema
                .properties
                .iter()
                .map(|(name, property)| (*name, shape_from(property, registry, depth + 1)))
                .collect(),
        ),
        "string" => Shape::Text,
        "array" => Shape::Array(Box::new(
            schema
                .items
                .as_ref()
                .map_or(Shape::Other, |items| shape_from(items, registry, depth + 1)),
        )),
        _ => Shape::Other,
    }
}

/// The state of one walk: the path to the value being read, and the first refusal (serde's
/// errors carry only a message, so the field error waits here).
struct Walk {
    path: RefCell<String>,
    refused: RefCell<Option<FieldError>>,
    rule: fn(&str) -> Option<String>,
}

impl Walk {
    fn refuse<E: de::Error>(&self, rule: impl FnOnce(&str) -> String) -> E {
        let path = self.path.borrow();
        let leaf = path.rsplit('.').next().unwrap_or_default();
        let shown = if path.is_empty() { "(body)" } else { path.as_str() };
        *self.refused.borrow_mut() = Some(FieldError::new(shown, rule(leaf)));
        E::custom("refused by its shape")
    }

    /// Runs `read` with `.name` (or `name` at the top) appended to the path.
    fn in_field<T>(&self, name: &str, read: impl FnOnce() -> T) -> T {
        let len = self.path.borrow().len();
        {
            let mut path = self.path.borrow_mut();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(name);
        }
        let out = read();
        self.path.borrow_mut().truncate(len);
        out
    }

    /// Runs `read` with `[index]` appended to the path.
    fn in_element<T>(&self, index: usize, read: impl FnOnce() -> T) -> T {
        let len = self.path.borrow().len();
        fmt::Write::write_fmt(&mut *self.path.borrow_mut(), format_args!("[{index}]")).ok();
        let out = read();
        self.path.borrow_mut().truncate(len);
        out
    }
}

/// One value of the body, expected to have `shape`.
#[derive(Clone, Copy)]
struct At<'a> {
    shape: &'a Shape,
    walk: &'a Walk,
}

impl<'de> DeserializeSeed<'de> for At<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.shape {
            Shape::Other => deserializer.deserialize_ignored_any(IgnoredAny).map(drop),
            _ => deserializer.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for At<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.scalar()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let item = match self.shape {
            Shape::Array(item) => item.as_ref(),
            Shape::Object(_) => return Err(self.walk.refuse(|_| "must be a JSON object".to_owned())),
            Shape::Text => return Err(self.text_refused()),
            Shape::Other => &Shape::Other,
        };
        let mut index = 0;
        loop {
            let at = At {
                shape: item,
                walk: self.walk,
            };
            if self.walk.in_element(index, || seq.next_element_seed(at))?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let properties = match self.shape {
            Shape::Object(properties) => properties.as_slice(),
            Shape::Text => return Err(self.text_refused()),
            _ => &[],
        };
        while let Some(known) = map.next_key_seed(Property(properties))? {
            match known {
                Some((name, shape)) => {
                    let at = At { shape, walk: self.walk };
                    self.walk.in_field(name, || map.next_value_seed(at))?;
                }
                None => drop(map.next_value::<IgnoredAny>()?),
            }
        }
        Ok(())
    }
}

impl At<'_> {
    /// A number or boolean: refused where a string belongs, serde's to judge elsewhere.
    fn scalar<E: de::Error>(self) -> Result<(), E> {
        match self.shape {
            Shape::Text => Err(self.text_refused()),
            _ => Ok(()),
        }
    }

    fn text_refused<E: de::Error>(self) -> E {
        let rule = self.walk.rule;
        self.walk
            .refuse(|leaf| rule(leaf).unwrap_or_else(|| "must be a string".to_owned()))
    }
}

/// A key of an object, matched against the schema's properties without copying it.
struct Property<'a>(&'a [(&'static str, Shape)]);

impl<'de, 'a> DeserializeSeed<'de> for Property<'a> {
    type Value = Option<(&'static str, &'a Shape)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'a> Visitor<'_> for Property<'a> {
    type Value = Option<(&'static str, &'a Shape)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self
            .0
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(name, shape)| (*name, shape)))
    }
}
