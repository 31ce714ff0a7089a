//! The confirmation for destructive actions: the person types the resource's name before the
//! button becomes active (as Proxmox and cloud consoles do), so a slip of the finger destroys
//! nothing.

use leptos::prelude::*;

#[component]
pub fn ConfirmDialog(
    /// Whether the dialog is shown; the dialog sets it to false when closed.
    open: RwSignal<bool>,
    #[prop(into)] title: String,
    /// What will happen, in words.
    #[prop(into)]
    message: String,
    /// The exact text the person must type.
    #[prop(into)]
    confirm_text: String,
    /// Label of the destructive button, e.g. "Cancel job".
    #[prop(into)]
    action_label: String,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let expected = confirm_text.clone();
    let matches = move || typed.get() == expected;
    let close = move || {
        typed.set(String::new());
        open.set(false);
    };
    let confirm = {
        let matches = matches.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if matches() {
                close();
                on_confirm.run(());
            }
        }
    };
    view! {
        <Show when=move || open.get()>
            <div class="dialog-backdrop" on:click=move |_| close()></div>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="confirm-title"
                 on:keydown=move |ev| if ev.key() == "Escape" { close() }>
                <h2 id="confirm-title">{title.clone()}</h2>
                <p>{message.clone()}</p>
                <form on:submit=confirm.clone()>
                    <label for="confirm-input">"Type " <code>{confirm_text.clone()}</code> " to confirm"</label>
                    <input id="confirm-input" name="confirm" type="text" autocomplete="off" autofocus=true
                           prop:value=move || typed.get()
                           on:input=move |ev| typed.set(event_target_value(&ev))/>
                    <div class="dialog-actions">
                        <button type="button" class="button" on:click=move |_| close()>"Keep it"</button>
                        <button type="submit" class="button danger" disabled={let m = matches.clone(); move || !m()}>
                            {action_label.clone()}
                        </button>
                    </div>
                </form>
            </div>
        </Show>
    }
}
