//! `decimal.Decimal` across the boundary, cheaply: the type object is looked up once, input Decimals
//! are read from their exact text form without a failed int conversion first, and output Decimals are
//! built from text formatted on the stack, one object per distinct value, kept across calls.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::str::FromStr;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyInt, PyString, PyType};
use rust_decimal::Decimal;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The `decimal.Decimal` type, imported once per interpreter.
pub(crate) fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DECIMAL.import(py, "decimal", "Decimal")
}

/// The value of an exact `decimal.Decimal` or an exact `int` fitting in `i64`; `None` for anything
/// else, or for a Decimal that is not a finite amount `rust_decimal` can hold.
///
/// Callers fall back to their general (slower) path on `None`, so this adds no new accepted inputs.
/// Exact types only: a subclass may override `__str__`.
pub(crate) fn fast_decimal(obj: &Bound<'_, PyAny>) -> PyResult<Option<Decimal>> {
    if obj.is_exact_instance_of::<PyInt>() {
        return Ok(obj.extract::<i64>().ok().map(Decimal::from));
    }
    if !obj.get_type().is(decimal_type(obj.py())?) {
        return Ok(None);
    }
    // The text form is exact (`str(Decimal)` never rounds).
    let text = obj.str()?;
    let text = text.to_str()?;
    Ok(Decimal::from_str(text).or_else(|_| Decimal::from_scientific(text)).ok())
}

/// `True` for an `int` that is not a `bool` (a `bool` is never an amount).
pub(crate) fn is_int(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>()
}

/// A multiply-and-rotate hasher for the small keys of one call's caches (mantissas, ids): std's
/// SipHash, built to resist hash flooding, costs more than the lookups it serves here. These maps
/// live for one call and hold a few keys per line of that call, so even colliding keys cost no more
/// than a scan of that call's own output.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

const SEED: u64 = 0x51_7C_C1_B7_27_22_0A_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0_u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let mut tail = [0_u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(tail));
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn write_i128(&mut self, n: i128) {
        self.add(n as u64);
        self.add((n >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        // hashbrown picks buckets from the low bits and tags from the high ones: mix both.
        self.0 ^ (self.0 >> 32)
    }
}

/// A `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Text of `mantissa × 10^-scale` in plain notation (`1050, 2` → `"10.50"`), formatted into `buf`
/// exactly as `Decimal::to_string` writes it (which never writes `-0`, even for a negative zero).
fn plain_text(mantissa: i128, scale: u32, buf: &mut [u8; 64]) -> &str {
    let scale = scale as usize;
    let mut rest = mantissa.unsigned_abs();
    let mut pos = buf.len();
    let mut written = 0;
    // Digits right to left, the point after `scale` of them, at least one digit before it.
    while rest > 0 || written <= scale {
        if written == scale && scale > 0 {
            pos -= 1;
            buf[pos] = b'.';
        }
        // In u64 once the rest fits: u128 division is a library call.
        let digit = if let Ok(small) = u64::try_from(rest) {
            rest = u128::from(small / 10);
            small % 10
        } else {
            let digit = (rest % 10) as u64;
            rest /= 10;
            digit
        };
        pos -= 1;
        buf[pos] = b'0' + digit as u8;
        written += 1;
    }
    if mantissa < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    // Only ASCII digits, '.' and '-' were written.
    std::str::from_utf8(&buf[pos..]).unwrap_or_default()
}

/// Builds `decimal.Decimal` objects for results, sharing one object per value (Decimal is immutable;
/// carts repeat amounts such as zero a lot).
pub(crate) struct DecimalOut<'py> {
    py: Python<'py>,
    cls: Bound<'py, PyType>,
    digits: u32,
    /// Keyed by mantissa: every value here has exactly `digits` decimals.
    cache: FastMap<i128, Bound<'py, PyAny>>,
}

/// Result Decimals of every call, by digits and mantissa (a call's own values first, in its cheaper
/// map): a cart's amounts repeat from one change to the next (a line that did not change has the same
/// totals), where a new Decimal is a Python call. Forgotten whole when full; used with the GIL held.
/// With std's hasher, not [`FastHasher`]: its amounts come from requests, and it outlives them.
type Shared = HashMap<(u32, i128), Py<PyAny>>;
static SHARED: LazyLock<Mutex<Shared>> = LazyLock::new(Mutex::default);
const SHARED_KEPT: usize = 16_384;

fn shared() -> MutexGuard<'static, Shared> {
    SHARED.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'py> DecimalOut<'py> {
    pub(crate) fn new(py: Python<'py>, digits: u32) -> PyResult<DecimalOut<'py>> {
        Ok(DecimalOut {
            py,
            cls: decimal_type(py)?.clone(),
            digits,
            cache: FastMap::default(),
        })
    }

    /// The amount with exactly the currency's digits (`10.5` → `Decimal('10.50')`), never `-0`.
    pub(crate) fn get(&mut self, value: Decimal) -> PyResult<Bound<'py, PyAny>> {
        let mut v = value;
        v.rescale(self.digits);
        let mantissa = v.mantissa();
        if let Some(obj) = self.cache.get(&mantissa) {
            return Ok(obj.clone());
        }
        // `rescale` may stop short of `digits` (28 at most); the scale then comes from `v` itself.
        if v.scale() != self.digits {
            return new_decimal(self.py, &self.cls, mantissa, v.scale());
        }
        let key = (self.digits, mantissa);
        let kept = shared().get(&key).map(|obj| obj.bind(self.py).clone());
        let obj = if let Some(obj) = kept {
            obj
        } else {
            // Built without the lock: the call runs Python.
            let obj = new_decimal(self.py, &self.cls, mantissa, self.digits)?;
            let mut all = shared();
            if all.len() >= SHARED_KEPT {
                all.clear();
            }
            all.insert(key, obj.clone().unbind());
            obj
        };
        self.cache.insert(mantissa, obj.clone());
        Ok(obj)
    }
}

/// `Decimal(text)` of `mantissa × 10^-scale`.
fn new_decimal<'py>(
    py: Python<'py>,
    cls: &Bound<'py, PyType>,
    mantissa: i128,
    scale: u32,
) -> PyResult<Bound<'py, PyAny>> {
    let mut buf = [0_u8; 64];
    let text = PyString::new(py, plain_text(mantissa, scale, &mut buf));
    cls.call1((text,))
}

/// `Decimal` of an arbitrary value, exactly as `Decimal(str(value))` (pyo3's conversion), without the
/// intermediate `String`.
pub(crate) fn to_py_decimal(py: Python<'_>, value: Decimal) -> PyResult<Bound<'_, PyAny>> {
    new_decimal(py, decimal_type(py)?, value.mantissa(), value.scale())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let d = Decimal::from_str(s).unwrap();
        let mut buf = [0_u8; 64];
        plain_text(d.mantissa(), d.scale(), &mut buf).to_owned()
    }

    #[test]
    fn plain_text_matches_display() {
        for s in [
            "0",
            "0.00",
            "-0",
            "-0.00",
            "-0.05",
            "10.50",
            "5",
            "-5",
            "0.001",
            "123456789.123",
            "-0.0000000000000000000000000001",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "7.9228162514264337593543950335",
        ] {
            let d = Decimal::from_str(s).unwrap();
            assert_eq!(text(s), d.to_string(), "{s}");
        }
        let negative_zero = Decimal::from_parts(0, 0, 0, true, 2);
        let mut buf = [0_u8; 64];
        assert_eq!(
            plain_text(negative_zero.mantissa(), 2, &mut buf),
            negative_zero.to_string()
        );
    }
}
