//! Checking that bytes are one whole JSON document (RFC 8259, UTF-8) as they arrive, piece by
//! piece, without holding them: `woolink api` streams a store's answer to a pipe and must not
//! exit 0 when what it printed is not one whole JSON document (an answer cut short, a PHP
//! notice after the JSON, bytes that are not UTF-8). It accepts what `serde_json` accepts,
//! lone surrogate escapes refused as `serde_json` refuses them.

/// Where and how the bytes stopped being one JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    /// The offset of the first byte that is wrong (the length of all bytes for `Ended`).
    pub at: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The bytes ended inside the document (or before it began).
    Ended,
    /// Something other than whitespace followed the whole document.
    Trailing,
    /// A string held bytes that are not UTF-8.
    NotUtf8,
    /// Anything else that JSON does not allow.
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    /// A value must come (whitespace first allowed).
    #[default]
    Value,
    /// After `[`: a value or `]`.
    ValueOrEnd,
    /// After `{`: a key or `}`.
    KeyOrEnd,
    /// After `,` in an object: a key.
    Key,
    /// After a key: `:`.
    Colon,
    /// After a value: `,`, the container's end, or (at the top) only whitespace.
    AfterValue,
    /// Inside a string.
    Str,
    /// After `\` in a string; `low`: only the `u` of a low surrogate's escape may come.
    Escape { low: bool },
    /// `\u` and `digits` of its four hex digits so far, forming `unit`; `low`: this is the
    /// second half of a surrogate pair.
    Unicode { low: bool, digits: u8, unit: u16 },
    /// After a high surrogate escape: `\` of the low one must come.
    LowBackslash,
    /// Inside a multi-byte UTF-8 character: `left` more continuation bytes, the next one in
    /// `lo..=hi`.
    Utf8 { left: u8, lo: u8, hi: u8 },
    /// Inside `true`, `false` or `null`: what is still to come.
    Literal { rest: &'static [u8] },
    /// After `-`: a digit.
    Minus,
    /// After a leading `0`.
    Zero,
    /// In the integer digits.
    Int,
    /// After `.`: a digit.
    Dot,
    /// In the fraction digits.
    Frac,
    /// After `e` or `E`: a sign or digit.
    Exp,
    /// After the exponent's sign: a digit.
    ExpSign,
    /// In the exponent's digits.
    ExpDigits,
}

/// The checker: feed it every piece with [`Checker::push`], then call [`Checker::finish`].
#[derive(Debug, Clone, Default)]
pub struct Checker {
    /// The closing byte (`]` or `}`) of each container the bytes are inside, innermost last.
    stack: Vec<u8>,
    state: State,
    /// The string being read is an object's key: a `:` follows it.
    in_key: bool,
    /// Bytes checked so far.
    offset: usize,
    /// The first fault found; every later push reports it again.
    fault: Option<Fault>,
}

impl Checker {
    /// Checks the next piece. On a fault, the bytes before `fault.at` were fine.
    pub fn push(&mut self, piece: &[u8]) -> Result<(), Fault> {
        if let Some(fault) = self.fault {
            return Err(fault);
        }
        for &byte in piece {
            if let Err(kind) = self.step(byte) {
                let fault = Fault {
                    kind,
                    at: self.offset,
                };
                self.fault = Some(fault);
                return Err(fault);
            }
            self.offset += 1;
        }
        Ok(())
    }

    /// Whether everything pushed was one whole document (and whitespace).
    pub fn finish(&self) -> Result<(), Fault> {
        if let Some(fault) = self.fault {
            return Err(fault);
        }
        let whole = self.stack.is_empty()
            && matches!(
                self.state,
                State::AfterValue | State::Zero | State::Int | State::Frac | State::ExpDigits
            );
        if whole {
            Ok(())
        } else {
            Err(Fault {
                kind: FaultKind::Ended,
                at: self.offset,
            })
        }
    }

    fn step(&mut self, byte: u8) -> Result<(), FaultKind> {
        use FaultKind::{Invalid, NotUtf8, Trailing};
        let ws = matches!(byte, b' ' | b'\t' | b'\n' | b'\r');
        self.state = match (self.state, byte) {
            (
                State::Value
                | State::ValueOrEnd
                | State::KeyOrEnd
                | State::Key
                | State::Colon
                | State::AfterValue,
                _,
            ) if ws => self.state,
            (State::ValueOrEnd, b']') | (State::KeyOrEnd, b'}') => {
                self.stack.pop();
                State::AfterValue
            }
            (State::Value | State::ValueOrEnd, _) => match byte {
                b'{' => {
                    self.stack.push(b'}');
                    State::KeyOrEnd
                }
                b'[' => {
                    self.stack.push(b']');
                    State::ValueOrEnd
                }
                b'"' => State::Str,
                b't' => State::Literal { rest: b"rue" },
                b'f' => State::Literal { rest: b"alse" },
                b'n' => State::Literal { rest: b"ull" },
                b'-' => State::Minus,
                b'0' => State::Zero,
                b'1'..=b'9' => State::Int,
                _ => return Err(Invalid),
            },
            (State::KeyOrEnd | State::Key, b'"') => {
                self.in_key = true;
                State::Str
            }
            (State::Colon, b':') => State::Value,
            (State::AfterValue, _) => match (self.stack.last(), byte) {
                (None, _) => return Err(Trailing),
                (Some(b']'), b',') => State::Value,
                (Some(_), b',') => State::Key,
                (Some(&close), _) if close == byte => {
                    self.stack.pop();
                    State::AfterValue
                }
                _ => return Err(Invalid),
            },
            (State::Str, b'"') if std::mem::take(&mut self.in_key) => State::Colon,
            (State::Str, b'"') => State::AfterValue,
            (State::Str, b'\\') => State::Escape { low: false },
            (State::Str, 0x20..=0x7f) => State::Str,
            (State::Str, 0x80..) => {
                let (left, lo, hi) = match byte {
                    0xc2..=0xdf => (1, 0x80, 0xbf),
                    0xe0 => (2, 0xa0, 0xbf),
                    0xe1..=0xec | 0xee..=0xef => (2, 0x80, 0xbf),
                    0xed => (2, 0x80, 0x9f),
                    0xf0 => (3, 0x90, 0xbf),
                    0xf1..=0xf3 => (3, 0x80, 0xbf),
                    0xf4 => (3, 0x80, 0x8f),
                    _ => return Err(NotUtf8),
                };
                State::Utf8 { left, lo, hi }
            }
            (State::Utf8 { left, lo, hi }, _) if (lo..=hi).contains(&byte) => match left {
                1 => State::Str,
                _ => State::Utf8 {
                    left: left - 1,
                    lo: 0x80,
                    hi: 0xbf,
                },
            },
            (State::Utf8 { .. }, _) => return Err(NotUtf8),
            (
                State::Escape { low: false },
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't',
            ) => State::Str,
            (State::Escape { low }, b'u') => State::Unicode {
                low,
                digits: 0,
                unit: 0,
            },
            (State::Unicode { low, digits, unit }, _) => {
                let digit = char::from(byte).to_digit(16).ok_or(Invalid)?;
                let unit = unit << 4 | digit as u16;
                match (digits, low, unit) {
                    (0..3, _, _) => State::Unicode {
                        low,
                        digits: digits + 1,
                        unit,
                    },
                    (_, false, 0xd800..=0xdbff) => State::LowBackslash,
                    (_, false, 0xdc00..=0xdfff) => return Err(Invalid),
                    (_, true, 0xdc00..=0xdfff) | (_, false, _) => State::Str,
                    (_, true, _) => return Err(Invalid),
                }
            }
            (State::LowBackslash, b'\\') => State::Escape { low: true },
            (
                State::Literal {
                    rest: [first, rest @ ..],
                },
                _,
            ) if *first == byte => match rest {
                [] => State::AfterValue,
                rest => State::Literal { rest },
            },
            (State::Minus, b'0') => State::Zero,
            (State::Minus, b'1'..=b'9') => State::Int,
            (State::Dot, b'0'..=b'9') => State::Frac,
            (State::Exp, b'+' | b'-') => State::ExpSign,
            (State::Exp | State::ExpSign, b'0'..=b'9') => State::ExpDigits,
            (State::Int | State::Frac | State::ExpDigits, b'0'..=b'9') => self.state,
            (State::Zero | State::Int, b'.') => State::Dot,
            (State::Zero | State::Int | State::Frac, b'e' | b'E') => State::Exp,
            // The number ended: this byte is what follows a value.
            (State::Zero | State::Int | State::Frac | State::ExpDigits, _) => {
                self.state = State::AfterValue;
                return self.step(byte);
            }
            _ => return Err(Invalid),
        };
        Ok(())
    }
}

/// Checks `bytes` whole.
pub fn check(bytes: &[u8]) -> Result<(), Fault> {
    let mut checker = Checker::default();
    checker.push(bytes)?;
    checker.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kind(bytes: &[u8]) -> Option<FaultKind> {
        check(bytes).err().map(|fault| fault.kind)
    }

    #[test]
    fn whole_documents_pass_and_each_fault_is_named() {
        for ok in [
            &b"[]"[..],
            b" {\"a\": [1, -0.5e+3, true, false, null, \"x\\u00e9\\ud83d\\ude00\"]}\n",
            b"0",
            b"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x9b\x92\x7f\xc2\x85\"",
            b"[{}, [], \"\"]",
        ] {
            assert_eq!(kind(ok), None, "{}", String::from_utf8_lossy(ok));
        }
        let cases: &[(&[u8], FaultKind, usize)] = &[
            (b"", FaultKind::Ended, 0),
            (b"[{\"id\":1},{\"id\":2", FaultKind::Ended, 17),
            (b"[1]<br />Notice", FaultKind::Trailing, 3),
            (b"[1] [2]", FaultKind::Trailing, 4),
            (b"[\"Hoo\xffdie\"]", FaultKind::NotUtf8, 5),
            (b"[\"\xed\xa0\x80\"]", FaultKind::NotUtf8, 3),
            (b"[\"\xc0\xaf\"]", FaultKind::NotUtf8, 2),
            (b"[1,]", FaultKind::Invalid, 3),
            (b"{\"a\" 1}", FaultKind::Invalid, 5),
            (b"[01]", FaultKind::Invalid, 2),
            (b"[\"\\ud800\"]", FaultKind::Invalid, 8),
            (b"[\"\\udc00\"]", FaultKind::Invalid, 7),
            (b"[\"a\nb\"]", FaultKind::Invalid, 3),
            (b"[tru]", FaultKind::Invalid, 4),
        ];
        for &(bytes, fault, at) in cases {
            assert_eq!(
                check(bytes),
                Err(Fault { kind: fault, at }),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    /// Bytes that look like JSON, or nearly.
    fn jsonish() -> impl Strategy<Value = Vec<u8>> {
        let pieces: Vec<&'static [u8]> = vec![
            b"[",
            b"]",
            b"{",
            b"}",
            b",",
            b":",
            b"\"",
            b"\"a\"",
            b"1",
            b"0",
            b"-",
            b".",
            b"e",
            b"+",
            b"true",
            b"nul",
            b" ",
            b"\n",
            b"\\",
            b"\\u00e9",
            b"\\ud83d",
            b"\\ude00",
            b"\\n",
            b"\xc3\xa9",
            b"\xff",
            b"\xe2\x82",
            b"\x7f",
            b"x",
        ];
        proptest::collection::vec(proptest::sample::select(pieces), 0..24)
            .prop_map(|parts| parts.concat())
    }

    proptest! {
        /// The checker agrees with serde_json on any bytes, however they are cut into pieces.
        #[test]
        fn agrees_with_serde_json(bytes in jsonish(), cuts in proptest::collection::vec(0usize..64, 0..4)) {
            // JSON has no limit on numbers; serde_json refuses those beyond f64's.
            let expected = match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Ok(_) => true,
                Err(err) => err.to_string().contains("number out of range"),
            };
            let mut checker = Checker::default();
            let mut at = 0;
            let mut result = Ok(());
            let mut cuts = cuts;
            cuts.sort_unstable();
            for cut in cuts.into_iter().chain([bytes.len()]) {
                let cut = cut.clamp(at, bytes.len());
                result = result.and_then(|()| checker.push(&bytes[at..cut]));
                at = cut;
            }
            let result = result.and_then(|()| checker.finish());
            prop_assert_eq!(result.is_ok(), expected, "{}", String::from_utf8_lossy(&bytes));
        }

        /// Whatever serde_json writes passes.
        #[test]
        fn serde_json_output_passes(text in "\\PC{0,40}", n in any::<i64>(), f in any::<f64>()) {
            let value = serde_json::json!([{ "name": text, "n": n, "f": f }]);
            prop_assert_eq!(check(value.to_string().as_bytes()), Ok(()));
        }
    }
}
