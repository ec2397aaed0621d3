//! The registration form's refusal of an address that is already a source — in the
//! sources file, approved, or waiting for approval — by the check `bulletin sources add`
//! makes ([`crate::registered`]), worded in both languages and naming the source.

use actix_web::web;

use super::{AppState, WebError};
use crate::i18n::Lang;
use crate::render::html::registration::Message;
use crate::store::{Standing, Taken};

/// The source already at one of `urls`, if any. The running service synced its sources
/// file into the store when it started, so the store alone answers.
pub(super) async fn find(state: &AppState, urls: Vec<String>) -> Result<Option<Taken>, WebError> {
    let store = state.store.clone();
    Ok(web::block(move || crate::registered::find(&[], &store, &urls)).await??)
}

/// The refusal, in `lang` and in the other language.
pub(super) fn message(lang: Lang, taken: &Taken) -> Message {
    Message {
        here: words(lang, taken),
        other: words(lang.other(), taken),
    }
}

fn words(lang: Lang, taken: &Taken) -> String {
    let pattern = match taken.standing {
        Standing::Configured => lang.t("errors.registered.configured"),
        Standing::Approved => lang.t("errors.registered.approved"),
        Standing::Pending => lang.t("errors.registered.pending"),
    };
    pattern
        .replace("{url}", &taken.url)
        .replace("{name}", &taken.name)
        .replace("{id}", &taken.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_names_the_source_in_both_languages() {
        let taken = Taken {
            id: "team".into(),
            name: "Team events".into(),
            url: "https://events.example.gc.ca/feed".into(),
            standing: Standing::Pending,
        };
        let message = message(Lang::Fr, &taken);
        for text in [&message.here, &message.other] {
            assert!(
                text.contains("https://events.example.gc.ca/feed")
                    && text.contains("Team events")
                    && text.contains("team"),
                "{text}"
            );
        }
        assert!(message.here.contains("attente"), "{}", message.here);
        assert!(message.other.contains("waiting"), "{}", message.other);
    }
}
