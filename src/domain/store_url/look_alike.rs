//! Look-alike hosts: a host whose letters could pass for another's, such as `shоp.example`
//! with a Cyrillic "о". Browsers show such a host as punycode (`xn--...`) rather than in its
//! Unicode form; woolink does the same, by the same kind of rules (Unicode's UTS #39 and
//! Chromium's IDN display policy, simplified), label by label:
//!
//! - **Mixed scripts**: letters of more than one script in a label, except the combinations
//!   that are how Chinese, Japanese and Korean are written (Han with Latin, Hiragana,
//!   Katakana, Bopomofo or Hangul).
//! - **Scripts not in common use**: letters of a script that Unicode does not recommend for
//!   identifiers (Cherokee, for one, has letters that look like Latin ones).
//! - **Whole-script look-alikes**: a label in Cyrillic or Greek made only of letters that look
//!   like Latin ones (`аррӏе`), which no script check can see: a small table below.
//!
//! Digits, hyphens and other characters common to every script are not counted. Pure.

use unicode_script::{Script, UnicodeScript};

/// Cyrillic and Greek letters that look like Latin ones in the fonts addresses are shown in
/// (the letters of Chromium's Cyrillic look-alike check, and their Greek counterparts). A
/// label of these letters alone reads as a Latin name.
const LATIN_LOOK_ALIKES: &[char] = &[
    // Cyrillic: a c d e h i j k l o p q s w x y, b (ь), n (п), r (г), u (џ), v (ѵ)
    'а', 'с', 'ԁ', 'е', 'һ', 'і', 'ј', 'к', 'ӏ', 'о', 'р', 'ԛ', 'ѕ', 'ԝ', 'х', 'у', 'ү', 'ь', 'п',
    'г', 'ѵ', 'ѡ', 'ә', 'ҽ', 'ɡ',
    // Greek: a e i k n o p t u v w x, c (lunate sigma), j (yot)
    'α', 'ε', 'ι', 'κ', 'η', 'ο', 'ρ', 'τ', 'υ', 'ν', 'ω', 'χ', 'ϲ', 'ϳ',
];

/// Script sets that are one writing system, not a mix: Japanese, Chinese with Bopomofo,
/// Korean, each also with Latin letters (as UTS #39's "highly restrictive" level allows).
const WRITING_SYSTEMS: &[&[Script]] = &[
    &[
        Script::Latin,
        Script::Han,
        Script::Hiragana,
        Script::Katakana,
    ],
    &[Script::Latin, Script::Han, Script::Bopomofo],
    &[Script::Latin, Script::Han, Script::Hangul],
];

/// Why `host` (a domain, ASCII or Unicode) could pass for another, in words for a message
/// ("mixes Latin and Cyrillic letters"); `None` for a host shown as it is.
pub fn look_alike(host: &str) -> Option<String> {
    let (unicode, result) = idna::domain_to_unicode(host);
    if result.is_err() {
        return None;
    }
    unicode.split('.').find_map(label_look_alike)
}

fn label_look_alike(label: &str) -> Option<String> {
    if label.is_ascii() {
        return None;
    }
    // Digits, hyphens and marks belong to every script: only letters count.
    let letters = || {
        label
            .chars()
            .filter(|c| !matches!(c.script(), Script::Common | Script::Inherited))
    };
    let mut scripts: Vec<Script> = Vec::new();
    for script in letters().map(|c| c.script()) {
        if !scripts.contains(&script) {
            scripts.push(script);
        }
    }
    if let Some(rare) = scripts.iter().find(|script| !script.is_recommended()) {
        return Some(format!(
            "has letters of {}, a script not in common use",
            rare.full_name().replace('_', " ")
        ));
    }
    let one_system = WRITING_SYSTEMS
        .iter()
        .any(|system| scripts.iter().all(|script| system.contains(script)));
    if scripts.len() > 1 && !one_system {
        let names: Vec<String> = scripts
            .iter()
            .map(|script| script.full_name().replace('_', " "))
            .collect();
        let (last, rest) = names.split_last().expect("more than one script");
        return Some(format!("mixes {} and {last} letters", rest.join(", ")));
    }
    if let [script @ (Script::Cyrillic | Script::Greek)] = scripts.as_slice()
        && letters().all(|c| LATIN_LOOK_ALIKES.contains(&c))
    {
        return Some(format!(
            "is written in {} letters that look like Latin ones",
            script.full_name()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_and_look_alike_hosts_are_told_apart_from_real_names() {
        let look_alikes = [
            ("shоp.example", "mixes Latin and Cyrillic letters"),
            ("xn--shp-ted.example", "mixes Latin and Cyrillic letters"),
            ("pаypal.com", "mixes Latin and Cyrillic letters"),
            ("gοogle.com", "mixes Latin and Greek letters"),
            (
                "shop.аррӏе.com",
                "Cyrillic letters that look like Latin ones",
            ),
            (
                "ѕсоре.example",
                "Cyrillic letters that look like Latin ones",
            ),
            ("ροκε.example", "Greek letters that look like Latin ones"),
            ("ꮪꮋꮎꮲ.example", "a script not in common use"),
            ("shօp.example", "mixes Latin and Armenian letters"),
        ];
        for (host, why) in look_alikes {
            let found = look_alike(host);
            assert!(
                found.as_deref().is_some_and(|found| found.contains(why)),
                "{host}: {found:?}"
            );
        }
        for host in [
            "shop.example",
            "xn--bcher-kva.example",
            "bücher.example",
            "магазин.рф",
            "пример.испытание",
            "ελληνικά.gr",
            "日本語.jp",
            "ソニー.jp",
            "お店ストア.jp",
            "한국어.kr",
            "中文网.cn",
            "café-2.example",
            "localhost",
            "127.0.0.1",
        ] {
            assert_eq!(look_alike(host), None, "{host}");
        }
    }
}
