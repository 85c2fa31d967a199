//! Vietnamese mobile numbers, parsed from any common way of writing them into one form (`+84…`),
//! so that the same phone written two ways identifies the same citizen.

use std::fmt;

/// A Vietnamese mobile number in international form: `+84` and nine digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("số điện thoại di động không hợp lệ «{0}»")]
pub struct BadPhone(pub String);

impl Phone {
    /// Accepts `0912 345 678`, `0912.345.678`, `(091) 234-5678`, `+84 912345678`, `84912345678`,
    /// `0084912345678`. Spaces, dots, dashes and parentheses are ignored; anything else is refused.
    pub fn parse(s: &str) -> Result<Phone, BadPhone> {
        let bad = || BadPhone(s.trim().to_owned());
        let trimmed = s.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '(' | ')' | '\u{a0}' => {}
                _ => return Err(bad()),
            }
        }
        // The nine digits after the country code or the trunk prefix 0.
        let national = if plus {
            digits.strip_prefix("84")
        } else if let Some(n) = digits.strip_prefix("0084") {
            Some(n)
        } else if digits.len() == 11 && digits.starts_with("84") {
            Some(&digits[2..])
        } else {
            digits.strip_prefix('0')
        }
        .ok_or_else(bad)?;
        // Mobile networks use 03x, 05x, 07x, 08x and 09x since the 2018 renumbering.
        let mobile = national.len() == 9 && national.starts_with(['3', '5', '7', '8', '9']);
        if !mobile {
            return Err(bad());
        }
        Ok(Phone(format!("+84{national}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_ways_of_writing_one_number_agree() {
        for s in [
            "0912 345 678",
            "0912345678",
            "+84 912345678",
            "+84912345678",
            "+84 (0)912 345 678",
            "84912345678",
            "0084 912 345 678",
            "0912.345.678",
            "0912-345-678",
            "(091) 234-5678",
            "  0912 345 678  ",
        ] {
            let parsed = Phone::parse(s);
            if s.contains("(0)") {
                // "+84 (0)…" keeps the trunk 0 and is one digit too long: refused, not guessed.
                assert!(parsed.is_err(), "{s}");
                continue;
            }
            assert_eq!(parsed.unwrap().as_str(), "+84912345678", "{s}");
        }
    }

    #[test]
    fn every_mobile_prefix_is_accepted() {
        for (s, want) in [
            ("0321234567", "+84321234567"),
            ("0561234567", "+84561234567"),
            ("0701234567", "+84701234567"),
            ("0861234567", "+84861234567"),
            ("0981234567", "+84981234567"),
        ] {
            assert_eq!(Phone::parse(s).unwrap().as_str(), want);
        }
    }

    #[test]
    fn other_numbers_are_refused() {
        for s in [
            "",
            "091234567",     // too short
            "09123456789",   // too long
            "0271 3879 999", // a landline (Bình Phước)
            "0112345678",    // not a mobile prefix
            "+1 912 345 678",
            "0912a345678",
            "0912/345/678",
            "+",
            "84",
        ] {
            assert!(Phone::parse(s).is_err(), "{s}");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

            /// Any text, mostly phone-like: parsing never panics, and a parsed number parses
            /// back to itself.
            #[test]
            fn normalising_is_idempotent_and_never_panics(
                text in "[+]?[0-9 .()\\-\u{a0}]{0,20}|(\\+84|0084|84|0)[35789][0-9 .-]{8,12}|\\PC{0,24}"
            ) {
                if let Ok(phone) = Phone::parse(&text) {
                    prop_assert_eq!(Phone::parse(phone.as_str()), Ok(phone.clone()));
                    prop_assert!(phone.as_str().starts_with("+84") && phone.as_str().len() == 12);
                }
            }
        }
    }
}
