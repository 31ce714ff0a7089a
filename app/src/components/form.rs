//! Form fields that show the server's (or the shared validator's) error under the right input.
//! Errors arrive as `ApiError`s whose `field` names the input.

use leptos::prelude::*;
use pier_proto::ApiError;

/// The message for `field`, if the current error is about it.
pub fn field_error(error: RwSignal<Option<ApiError>>, field: &'static str) -> impl Fn() -> Option<AnyView> + Copy {
    move || {
        error
            .get()
            .filter(|e| e.field.as_deref() == Some(field))
            .map(|e| view! { <p class="field-error" role="alert">{e.message}</p> }.into_any())
    }
}

/// An error not about any one field, shown under the form.
pub fn form_error(error: RwSignal<Option<ApiError>>) -> impl Fn() -> Option<AnyView> + Copy {
    move || {
        error
            .get()
            .filter(|e| e.field.is_none())
            .map(|e| view! { <div class="error-box" role="alert">{e.message}</div> }.into_any())
    }
}

/// A labelled text-like input bound to `value`, with its error underneath.
#[component]
pub fn TextField(
    id: &'static str,
    label: &'static str,
    /// `text`, `email`, `password`, `number`, ...
    #[prop(default = "text")]
    kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    /// The `ApiError::field` this input answers for.
    field: &'static str,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=id type=kind autocomplete=autocomplete
                   prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            {field_error(error, field)}
        </div>
    }
}

/// A labelled multi-line text bound to `value` (keys, cloud-init), spell checking off.
#[component]
pub fn TextArea(
    id: &'static str,
    label: &'static str,
    #[prop(default = 3)] rows: u32,
    #[prop(default = "")] placeholder: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    field: &'static str,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <textarea id=id rows=rows spellcheck="false" placeholder=placeholder
                      prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))></textarea>
            {field_error(error, field)}
        </div>
    }
}

/// Selects a read-only field's whole text when it gets focus (one-time secrets and links, so
/// one tap or click is enough to copy them).
pub fn select_all(ev: leptos::ev::FocusEvent) {
    event_target::<leptos::web_sys::HtmlInputElement>(&ev).select();
}
