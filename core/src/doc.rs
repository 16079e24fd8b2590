//! Small typed readers and writers over Automerge maps, so the model code reads as intent.

use automerge::{
    AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value, transaction::Transactable,
};

use crate::error::Result;

/// The child map (or other object) at `key`, if there is one.
pub(crate) fn obj(doc: &AutoCommit, parent: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(parent, key) {
        Ok(Some((Value::Object(_), id))) => Some(id),
        _ => None,
    }
}

/// A scalar field, whatever its type.
pub(crate) fn scalar(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<ScalarValue> {
    match doc.get(obj, key) {
        Ok(Some((Value::Scalar(s), _))) => Some(s.into_owned()),
        _ => None,
    }
}

/// A string field; a Text object is read as its content.
pub(crate) fn string(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        Ok(Some((Value::Object(ObjType::Text), id))) => doc.text(&id).ok(),
        _ => None,
    }
}

/// Makes `key` hold `value` (`None`: no value), writing only when it differs. Whether it wrote.
pub(crate) fn put_scalar(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: Option<ScalarValue>,
) -> Result<bool> {
    let now = match doc.get(obj, key)? {
        Some((Value::Scalar(s), _)) => Some(Some(s.into_owned())),
        Some((Value::Object(_), _)) => Some(None),
        None => None,
    };
    match (now, value) {
        (Some(Some(old)), Some(new)) if old == new => Ok(false),
        (None, None) => Ok(false),
        (_, Some(new)) => {
            doc.put(obj, key, new)?;
            Ok(true)
        }
        (Some(_), None) => {
            doc.delete(obj, key)?;
            Ok(true)
        }
    }
}

/// A bytes field.
pub(crate) fn bytes(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<Vec<u8>> {
    match scalar(doc, obj, key)? {
        ScalarValue::Bytes(b) => Some(b),
        _ => None,
    }
}

/// An integer field (signed or unsigned, or an Automerge timestamp).
pub(crate) fn int(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<i64> {
    match scalar(doc, obj, key)? {
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Some(i),
        ScalarValue::Uint(u) => i64::try_from(u).ok(),
        _ => None,
    }
}

/// A boolean field.
pub(crate) fn boolean(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<bool> {
    match scalar(doc, obj, key)? {
        ScalarValue::Boolean(b) => Some(b),
        _ => None,
    }
}

/// The keys of a map, in Automerge's (lexicographic) order.
pub(crate) fn keys(doc: &AutoCommit, obj: &ObjId) -> Vec<String> {
    doc.keys(obj).collect()
}

/// Writes an optional string: `None` removes the field.
pub(crate) fn put_opt_str(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: Option<&str>,
) -> Result<()> {
    match value {
        Some(v) => doc.put(obj, key, v)?,
        None => {
            if doc.get(obj, key)?.is_some() {
                doc.delete(obj, key)?;
            }
        }
    }
    Ok(())
}

/// Writes an optional integer: `None` removes the field.
pub(crate) fn put_opt_int(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: Option<i64>,
) -> Result<()> {
    match value {
        Some(v) => doc.put(obj, key, v)?,
        None => {
            if doc.get(obj, key)?.is_some() {
                doc.delete(obj, key)?;
            }
        }
    }
    Ok(())
}

/// The map at `key` inside `parent`, created if missing.
pub(crate) fn ensure_map(doc: &mut AutoCommit, parent: &ObjId, key: &str) -> Result<ObjId> {
    match obj(doc, parent, key) {
        Some(id) => Ok(id),
        None => Ok(doc.put_object(parent, key, ObjType::Map)?),
    }
}

/// Replaces the content of a Text object with `new`, as a minimal diff, so concurrent edits
/// elsewhere in the text merge instead of being overwritten.
pub(crate) fn set_text(doc: &mut AutoCommit, parent: &ObjId, key: &str, new: &str) -> Result<()> {
    let text = match doc.get(parent, key)? {
        Some((Value::Object(ObjType::Text), id)) => id,
        _ => doc.put_object(parent, key, ObjType::Text)?,
    };
    doc.update_text(&text, new)?;
    Ok(())
}
