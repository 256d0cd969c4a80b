//! A gallery's tags as toggle chips: each tag is a selectable button whose accessible label is
//! exactly the tag name, laid out in wrapping rows.

use std::collections::BTreeSet;

use egui::{Button, Response, Ui};
use necid::TagName;

/// Draws `tags` as toggles; the ones in `selected` are on. Returns true when a chip was toggled.
/// With `enabled` false the chips only show which tags are on.
pub fn tag_chips(
    ui: &mut Ui,
    tags: &[TagName],
    selected: &mut BTreeSet<TagName>,
    enabled: bool,
) -> bool {
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        for tag in tags {
            let on = selected.contains(tag);
            let response: Response = ui.add_enabled(
                enabled,
                Button::selectable(on, tag.as_str()).corner_radius(8.0),
            );
            if response.clicked() {
                if on {
                    selected.remove(tag);
                } else {
                    selected.insert(tag.clone());
                }
                changed = true;
            }
        }
    });
    changed
}

/// The tags of `selected` that the gallery still has, in the gallery's order.
pub fn chosen(tags: &[TagName], selected: &BTreeSet<TagName>) -> Vec<TagName> {
    tags.iter()
        .filter(|t| selected.contains(*t))
        .cloned()
        .collect()
}

/// Carries a choice over a rename: `from` chosen becomes `to` chosen.
pub fn carry_rename(selected: &mut BTreeSet<TagName>, from: &TagName, to: &TagName) {
    if selected.remove(from) {
        selected.insert(to.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tags_the_gallery_still_has_are_sent_in_its_order() {
        let tags = [TagName::new("b"), TagName::new("a")];
        let selected = BTreeSet::from([TagName::new("a"), TagName::new("gone"), TagName::new("b")]);
        let names: Vec<_> = chosen(&tags, &selected)
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect();
        assert_eq!(names, ["b", "a"]);
    }
}
