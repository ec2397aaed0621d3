//! Title similarity for matching, computed against one title many times: the
//! Sørensen–Dice coefficient over character bigrams exactly as `strsim::sorensen_dice`
//! defines it (whitespace removed; its denominator counts bytes), with the probe's
//! bigrams counted once instead of once per candidate. A property test holds it to
//! `strsim` on arbitrary strings.

/// One title's bigrams, sorted, ready to be compared with others.
pub struct Bigrams {
    /// The title without whitespace.
    text: String,
    sorted: Vec<(char, char)>,
}

impl Bigrams {
    pub fn of(title: &str) -> Bigrams {
        let text: String = title.chars().filter(|c| !c.is_whitespace()).collect();
        let mut sorted = bigrams(&text);
        sorted.sort_unstable();
        Bigrams { text, sorted }
    }

    /// `strsim::sorensen_dice(self, other)`. Runs for every candidate at the same minute,
    /// so it reuses one buffer per thread for the other side's bigrams.
    pub fn dice(&self, other: &str) -> f64 {
        thread_local! {
            static THEIRS: std::cell::RefCell<Vec<(char, char)>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let other_len: usize = other
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(char::len_utf8)
            .sum();
        let mut text = other.chars().filter(|c| !c.is_whitespace());
        if other_len == self.text.len() && text.clone().eq(self.text.chars()) {
            return 1.0;
        }
        if self.text.len() < 2 || other_len < 2 {
            return 0.0;
        }
        THEIRS.with_borrow_mut(|theirs| {
            theirs.clear();
            if let Some(mut previous) = text.next() {
                for c in text {
                    theirs.push((previous, c));
                    previous = c;
                }
            }
            theirs.sort_unstable();
            self.shared_with(theirs, other_len)
        })
    }

    fn shared_with(&self, theirs: &[(char, char)], other_len: usize) -> f64 {
        let (mut i, mut j, mut shared) = (0, 0, 0usize);
        while i < self.sorted.len() && j < theirs.len() {
            match self.sorted[i].cmp(&theirs[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    shared += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        (2 * shared) as f64 / (self.text.len() + other_len - 2) as f64
    }
}

fn bigrams(text: &str) -> Vec<(char, char)> {
    text.chars().zip(text.chars().skip(1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        for (a, b) in [
            ("data science cop meetup", "data science cop meetup"),
            ("lunch learn 3 12", "lunch learn 31 2"),
            ("a", "ab"),
            ("", ""),
            ("réunion", "reunion"),
            ("ab", "a b"),
        ] {
            assert_eq!(
                Bigrams::of(a).dice(b),
                strsim::sorensen_dice(a, b),
                "{a} / {b}"
            );
        }
    }

    proptest! {
        #[test]
        fn equals_strsim(a in "[a-dé ]{0,12}", b in "[a-dé ]{0,12}") {
            prop_assert_eq!(Bigrams::of(&a).dice(&b), strsim::sorensen_dice(&a, &b));
        }

        #[test]
        fn equals_strsim_on_any_text(a in any::<String>(), b in any::<String>()) {
            prop_assert_eq!(Bigrams::of(&a).dice(&b), strsim::sorensen_dice(&a, &b));
        }
    }
}
