//! `woolink api --jq EXPR`: a jq filter run in-process by jaq, compiled before any request
//! (an invalid EXPR is a usage error) and run on each JSON document the store answers.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Native, Vars, data, unwrap_valr};
use jaq_json::Val;
use serde::Deserialize;
use serde_json::Value;

type Data = data::JustLut<Val>;

/// A compiled filter.
pub struct Jq {
    filter: jaq_core::compile::Filter<Native<Data>>,
}

impl Jq {
    /// Compiles `code`, or says what is wrong with it as a person reads it.
    pub fn compile(code: &str) -> Result<Self, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let arena = Arena::default();
        let program = File { code, path: () };
        let modules = Loader::new(defs)
            .load(&arena, program)
            .map_err(|errors| load_errors(code, errors))?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| {
                let words: Vec<String> = errors
                    .into_iter()
                    .flat_map(|(_, undefined)| undefined)
                    .map(|(name, what)| format!("undefined {} `{name}`", what.as_str()))
                    .collect();
                words.join(", ")
            })?;
        Ok(Self { filter })
    }

    /// Every output of the filter on `input`, each as JSON, or the filter's error.
    pub fn run(&self, input: &Value) -> Result<Vec<Value>, String> {
        let input = Val::deserialize(input).map_err(|err| err.to_string())?;
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([]));
        let mut outputs = Vec::new();
        for output in self.filter.id.run((ctx, input)).map(unwrap_valr) {
            let output = output.map_err(|err| err.to_string())?;
            // jaq writes values JSON cannot hold (NaN, byte strings, non-string keys) its own
            // way; those are refused rather than printed as something that is not JSON.
            let text = output.to_string();
            let value = serde_json::from_str(&text)
                .map_err(|_| format!("its result {text} is not JSON"))?;
            outputs.push(value);
        }
        Ok(outputs)
    }
}

/// The loader's lex and parse errors in words.
fn load_errors<P>(code: &str, errors: jaq_core::load::Errors<&str, P>) -> String {
    use jaq_core::load::Error;
    let at = |part: &str| {
        let offset = jaq_core::load::span(code, part).start;
        code[..offset].chars().count() + 1
    };
    let mut words = Vec::new();
    for (_, error) in errors {
        match error {
            Error::Io(errors) => words.extend(
                errors
                    .into_iter()
                    .map(|(path, why)| format!("{path}: {why}")),
            ),
            Error::Lex(errors) => words.extend(errors.into_iter().map(|(expected, found)| {
                format!("expected {} at character {}", expected.as_str(), at(found))
            })),
            Error::Parse(errors) => words.extend(errors.into_iter().map(|(expected, found)| {
                if found.is_empty() {
                    format!("expected {} at the end", expected.as_str())
                } else {
                    format!(
                        "expected {} at character {}, found `{found}`",
                        expected.as_str(),
                        at(found)
                    )
                }
            })),
        }
    }
    words.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_run_as_jq_runs_them() {
        let input = json!([{"id": 11, "name": "Hoodie"}, {"id": 12, "name": "Beanie"}]);
        let run = |code: &str| Jq::compile(code).unwrap().run(&input).unwrap();
        assert_eq!(run(".[].name"), [json!("Hoodie"), json!("Beanie")]);
        assert_eq!(run("map(.id) | add"), [json!(23)]);
        assert_eq!(
            run(".[0] | {name, id}"),
            [json!({"name": "Hoodie", "id": 11})]
        );
        assert_eq!(run("length"), [json!(2)]);
        assert_eq!(run("[.[] | select(.id > 11)] | length"), [json!(1)]);
        assert_eq!(run(".[0] | keys"), [json!(["id", "name"])]);
        assert_eq!(run(".[0].name | test(\"^H\")"), [json!(true)]);
        assert_eq!(
            run(".[0] | tojson"),
            [json!(r#"{"id":11,"name":"Hoodie"}"#)]
        );
    }

    #[test]
    fn invalid_filters_are_said_in_words() {
        for code in [".[", "nosuchfilter", ".a |", "\"\\q\""] {
            let err = Jq::compile(code).err().expect("refused");
            assert!(!err.is_empty(), "{code}");
        }
        assert!(
            Jq::compile("nosuchfilter")
                .err()
                .expect("refused")
                .contains("nosuchfilter")
        );
    }

    #[test]
    fn errors_and_non_json_results_are_errors() {
        let input = json!([1]);
        assert!(Jq::compile(".name").unwrap().run(&input).is_err());
        assert!(Jq::compile("error(\"x\")").unwrap().run(&input).is_err());
        assert!(Jq::compile("nan").unwrap().run(&input).is_err());
    }
}
