//! Sign in (password, then the 2FA code when it is on), the one-time first-administrator setup,
//! and choosing a new password with a reset link.

use crate::api::{login, login_second_factor, reset_password, reset_state, setup, setup_state};
use crate::components::form::{form_error, TextField};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use pier_proto::accounts::{NewUser, Role};
use pier_proto::security::LoginStep;
use pier_proto::ApiError;

/// Only local paths: `next=//evil.example` or `next=https://…` must not send people away.
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\')).unwrap_or_else(|| "/".into())
}

/// A full page load after signing in: the new session cookie, the user's navigation and the
/// live socket all start fresh.
fn go(to: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(to);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = to;
}

/// True once the page is interactive. Submit buttons stay disabled until then, so a form is
/// never sent natively (which would put a password in a request the server does not expect).
fn use_ready() -> RwSignal<bool> {
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    ready
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let remember = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let second_step = RwSignal::new(false);
    let ready = use_ready();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let next = safe_next(query.with_untracked(|q| q.get("next")));
        spawn_local(async move {
            match login(username.get_untracked(), password.get_untracked(), remember.get_untracked()).await {
                Ok(LoginStep::SignedIn { .. }) => go(&next),
                Ok(LoginStep::SecondFactor) => {
                    password.set(String::new());
                    second_step.set(true);
                    busy.set(false);
                }
                Err(e) => {
                    password.set(String::new());
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <Title text="Sign in"/>
        <div class="auth-card card">
            <div class="brand"><span class="brand-mark">"P"</span>"Pier"</div>
            <Show when=move || second_step.get() fallback=move || view! {
            <h1>"Sign in"</h1>
            <form method="post" on:submit=submit class="stack">
                <div class="field">
                    <label for="login-username">"Username"</label>
                    <input id="login-username" name="username" type="text" autocomplete="username" required=true
                           autocapitalize="none" spellcheck="false"
                           prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="login-password">"Password"</label>
                    <input id="login-password" name="password" type="password" autocomplete="current-password" required=true
                           prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                </div>
                <label class="check">
                    <input type="checkbox" name="remember" prop:checked=move || remember.get()
                           on:change=move |ev| remember.set(event_target_checked(&ev))/>
                    "Keep me signed in for 30 days"
                </label>
                {form_error(error)}
                <button type="submit" class="button primary" disabled=move || busy.get() || !ready.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            <p class="muted small">"First start? Open the setup link the panel printed, or run "
                <code>"pier admin create"</code> "."</p>
            }>
                <SecondFactorForm next=safe_next(query.with_untracked(|q| q.get("next"))) back=second_step/>
            </Show>
        </div>
    }
}

/// The second sign-in step: the app's 6-digit code or a recovery code.
#[component]
fn SecondFactorForm(next: String, back: RwSignal<bool>) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        if let Err(e) = pier_proto::security::validate_second_factor(&code.get_untracked()) {
            return error.set(Some(e));
        }
        busy.set(true);
        error.set(None);
        let next = next.clone();
        spawn_local(async move {
            match login_second_factor(code.get_untracked()).await {
                Ok(_) => go(&next),
                Err(e) => {
                    code.set(String::new());
                    // Too slow or signed out meanwhile: start again from the password.
                    if e.code == pier_proto::ErrorCode::Unauthenticated && e.field.is_none() && e.message.contains("password again") {
                        back.set(false);
                    }
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <h1>"Two-factor authentication"</h1>
        <form method="post" on:submit=submit class="stack">
            <div class="field">
                <label for="login-code">"Authentication code"</label>
                <input id="login-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required=true
                       autofocus=true spellcheck="false"
                       prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
                <p class="muted small">"The 6-digit code from your authenticator app, or one of your recovery codes."</p>
                {crate::components::form::field_error(error, "code")}
            </div>
            {form_error(error)}
            <button type="submit" class="button primary" disabled=move || busy.get()>
                {move || if busy.get() { "Checking…" } else { "Verify" }}
            </button>
        </form>
        <p class="muted small"><a href="/login" on:click=move |ev| { ev.prevent_default(); back.set(false); }>"Use another account"</a></p>
    }
}

/// Choosing a new password with a one-time link from an administrator.
#[component]
pub fn ResetPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token")).unwrap_or_default();
    let state = Resource::new(token, reset_state);
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(false);
    let ready = use_ready();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if password.get_untracked() != confirm.get_untracked() {
            return error.set(Some(ApiError::invalid("confirm", "The two passwords differ.")));
        }
        error.set(None);
        busy.set(true);
        let token = token();
        spawn_local(async move {
            match reset_password(token, password.get_untracked()).await {
                Ok(()) => done.set(true),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <Title text="Choose a new password"/>
        <div class="auth-card card">
            <div class="brand"><span class="brand-mark">"P"</span>"Pier"</div>
            <h1>"Choose a new password"</h1>
            <Transition fallback=|| view! { <p class="muted">"Checking the link…"</p> }>
                {move || state.get().map(|v| match v {
                    _ if done.get() => view! {
                        <p role="status">"Your password is changed, and you are signed out everywhere."</p>
                        <p><a class="button primary" href="/login">"Sign in"</a></p>
                    }.into_any(),
                    Ok(Some(username)) => view! {
                        <p class="muted">"For the account " <strong>{username}</strong> "."</p>
                        <form method="post" on:submit=submit class="stack">
                            <NewPasswordFields ids=("reset-password", "reset-confirm")
                                labels=("New password (at least 12 characters)", "Repeat the new password") password confirm error/>
                            {form_error(error)}
                            <button type="submit" class="button primary" disabled=move || busy.get() || !ready.get()>"Set the new password"</button>
                        </form>
                    }.into_any(),
                    Ok(None) => view! {
                        <div class="error-box" role="alert">
                            "This link is invalid, already used, or expired (links last 24 hours). Ask an administrator for a new one."
                        </div>
                        <p><a href="/login">"Go to sign in"</a></p>
                    }.into_any(),
                    Err(e) => view! { <div class="error-box" role="alert">{e.message}</div> }.into_any(),
                })}
            </Transition>
        </div>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token")).unwrap_or_default();
    let valid = Resource::new(token, setup_state);
    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let ready = use_ready();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let account = NewUser {
            username: username.get_untracked().trim().to_string(),
            email: email.get_untracked().trim().to_string(),
            password: password.get_untracked(),
            role: Role::Admin,
        };
        // The server applies the same rules; checking here saves a round trip.
        if let Err(e) = account.validate() {
            return error.set(Some(e));
        }
        if account.password != confirm.get_untracked() {
            return error.set(Some(ApiError::invalid("confirm", "The two passwords differ.")));
        }
        error.set(None);
        busy.set(true);
        let token = token();
        spawn_local(async move {
            match setup(token, account).await {
                Ok(_) => go("/"),
                Err(e) => {
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <Title text="Set up"/>
        <div class="auth-card card">
            <div class="brand"><span class="brand-mark">"P"</span>"Pier"</div>
            <h1>"Create the first administrator"</h1>
            <Transition fallback=|| view! { <p class="muted">"Checking the setup link…"</p> }>
                {move || valid.get().map(|v| match v {
                    Ok(true) => view! {
                        <form method="post" on:submit=submit class="stack">
                            <TextField id="setup-username" label="Username" autocomplete="username" value=username error field="username"/>
                            <TextField id="setup-email" label="Email" kind="email" autocomplete="email" value=email error field="email"/>
                            <NewPasswordFields ids=("setup-password", "setup-confirm")
                                labels=("Password (at least 12 characters)", "Repeat the password") password confirm error/>
                            {form_error(error)}
                            <button type="submit" class="button primary" disabled=move || busy.get() || !ready.get()>"Create administrator"</button>
                        </form>
                    }.into_any(),
                    Ok(false) => view! {
                        <div class="error-box" role="alert">
                            "This setup link is invalid, already used, or expired. Restart the panel to print a new one, or run "
                            <code>"pier admin create"</code> "."
                        </div>
                        <p><a href="/login">"Go to sign in"</a></p>
                    }.into_any(),
                    Err(e) => view! { <div class="error-box" role="alert">{e.message}</div> }.into_any(),
                })}
            </Transition>
        </div>
    }
}

/// A new password typed twice (first-admin setup, reset link); the form compares them.
#[component]
fn NewPasswordFields(
    ids: (&'static str, &'static str),
    labels: (&'static str, &'static str),
    password: RwSignal<String>,
    confirm: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    view! {
        <TextField id=ids.0 label=labels.0 kind="password" autocomplete="new-password" value=password error field="password"/>
        <TextField id=ids.1 label=labels.1 kind="password" autocomplete="new-password" value=confirm error field="confirm"/>
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/jobs?x=1".into())), "/jobs?x=1");
        for bad in ["//evil.example", "https://evil.example", "javascript:alert(1)", "/\\evil"] {
            assert_eq!(safe_next(Some(bad.into())), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
