//! Light/dark theme. The choice is stored in the browser (localStorage) and applied as
//! `data-theme` on <html>; with no choice the system preference wins (see style/main.css).

use super::icon::Icon;
use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Theme {
    Light,
    Dark,
}

#[component]
pub fn ThemeToggle() -> impl IntoView {
    // Unknown on the server; read from the document once hydrated.
    let theme = RwSignal::new(None::<Theme>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| theme.set(Some(current_theme())));

    let toggle = move |_| {
        let next = match theme.get_untracked() {
            Some(Theme::Dark) => Theme::Light,
            _ => Theme::Dark,
        };
        #[cfg(feature = "hydrate")]
        apply_theme(next);
        theme.set(Some(next));
    };
    let label = move || match theme.get() {
        Some(Theme::Dark) => "Switch to light theme",
        _ => "Switch to dark theme",
    };
    view! {
        <button type="button" class="icon-button theme-toggle" on:click=toggle
                aria-label=label title=label
                data-theme-current=move || match theme.get() { Some(Theme::Dark) => "dark", Some(Theme::Light) => "light", None => "" }>
            {move || match theme.get() {
                Some(Theme::Dark) => view! { <Icon name="sun"/> },
                _ => view! { <Icon name="moon"/> },
            }}
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn current_theme() -> Theme {
    let root = document().document_element();
    let explicit = root.as_ref().and_then(|r| r.get_attribute("data-theme"));
    match explicit.as_deref() {
        Some("dark") => Theme::Dark,
        Some("light") => Theme::Light,
        _ => {
            let prefers_dark = window()
                .match_media("(prefers-color-scheme: dark)")
                .ok()
                .flatten()
                .map(|m| m.matches())
                .unwrap_or(false);
            if prefers_dark { Theme::Dark } else { Theme::Light }
        }
    }
}

#[cfg(feature = "hydrate")]
fn apply_theme(theme: Theme) {
    let name = match theme {
        Theme::Dark => "dark",
        Theme::Light => "light",
    };
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-theme", name);
    }
    if let Ok(Some(storage)) = window().local_storage() {
        let _ = storage.set_item("pier-theme", name);
    }
}
