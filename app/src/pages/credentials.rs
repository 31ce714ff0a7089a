//! The profile's credential sections: two-factor authentication, SSH keys and API tokens.
//! Secrets the server shows once (recovery codes, a new token) are shown here once.

use crate::api::{
    add_ssh_key, create_api_token, delete_ssh_key, list_api_tokens, list_ssh_keys, new_recovery_codes, revoke_api_token,
    totp_begin, totp_confirm, totp_disable, two_factor_status,
};
use crate::components::error_box::ErrorBox;
use crate::components::form::{field_error, form_error, TextArea, TextField};
use crate::components::shell::use_current_user;
use crate::components::toast::use_toasts;
use crate::format::short_time;
use leptos::prelude::*;
use leptos::task::spawn_local;
use pier_proto::security::{NewApiToken, NewSshKey, TokenScope, TotpEnrolment};
use pier_proto::ApiError;

/// A full reload, so the shell (navigation, live socket) sees the account's new state.
fn reload_page() {
    #[cfg(feature = "hydrate")]
    let _ = window().location().reload();
}

/// Codes shown once, with what to do with them.
#[component]
fn RecoveryCodes(codes: Vec<String>, on_done: Callback<()>) -> impl IntoView {
    view! {
        <div class="notice" role="status">
            <p><strong>"Save these recovery codes now."</strong>
               " Each one signs you in once if you lose your phone. They will not be shown again."</p>
            <ul class="codes" id="recovery-codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            <button type="button" class="button primary" on:click=move |_| on_done.run(())>"I have saved them"</button>
        </div>
    }
}

/// A password prompt in front of a sensitive action.
#[component]
fn PasswordGate(id: &'static str, action: &'static str, on_submit: Callback<(String, RwSignal<Option<ApiError>>)>) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    view! {
        <form class="inline-form" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); on_submit.run((password.get_untracked(), error)); }>
            <TextField id label="Your password" kind="password" autocomplete="current-password" value=password error field="password"/>
            <button type="submit" class="button">{action}</button>
        </form>
        {form_error(error)}
    }
}

#[component]
pub fn TwoFactorSection() -> impl IntoView {
    let toasts = use_toasts();
    let me = use_current_user().0;
    let must_enrol = move || me.get().and_then(|r| r.ok()).flatten().is_some_and(|u| u.must_enrol_2fa());
    let version = RwSignal::new(0u32);
    let status = Resource::new(move || version.get(), |_| two_factor_status());
    let enrolment = RwSignal::new(None::<TotpEnrolment>);
    let codes = RwSignal::new(None::<Vec<String>>);
    let gate = RwSignal::new(None::<&'static str>);
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);

    let begin = move |_| {
        spawn_local(async move {
            match totp_begin().await {
                Ok(e) => {
                    error.set(None);
                    enrolment.set(Some(e));
                }
                Err(e) => toasts.error(e.message),
            }
        });
    };
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            match totp_confirm(code.get_untracked()).await {
                Ok(list) => {
                    enrolment.set(None);
                    code.set(String::new());
                    codes.set(Some(list));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let gated = Callback::new(move |(password, err): (String, RwSignal<Option<ApiError>>)| {
        let which = gate.get_untracked();
        spawn_local(async move {
            match which {
                Some("disable") => match totp_disable(password).await {
                    Ok(()) => {
                        toasts.success("Two-factor authentication is off.");
                        gate.set(None);
                        reload_page();
                    }
                    Err(e) => err.set(Some(e)),
                },
                Some(_) => match new_recovery_codes(password).await {
                    Ok(list) => {
                        gate.set(None);
                        codes.set(Some(list));
                    }
                    Err(e) => err.set(Some(e)),
                },
                None => {}
            }
        });
    });
    let done = Callback::new(move |_| {
        codes.set(None);
        version.update(|v| *v += 1);
        reload_page();
    });

    view! {
        <section class="card" id="two-factor">
            <h2>"Two-factor authentication"</h2>
            <Show when=must_enrol>
                <div class="notice warn" role="alert">
                    "Your role must use two-factor authentication. Set it up to continue using the panel."
                </div>
            </Show>
            {move || codes.get().map(|list| view! { <RecoveryCodes codes=list on_done=done/> })}
            <Transition fallback=|| ()>
                {move || status.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok((true, left)) => view! {
                        <p><span class="badge badge-succeeded">"On"</span> " "
                           <span class="muted">{format!("{left} recovery code(s) left.")}</span></p>
                        <div class="actions-row">
                            <button type="button" class="button small" on:click=move |_| gate.set(Some("codes"))>"New recovery codes"</button>
                            <button type="button" class="button small danger" on:click=move |_| gate.set(Some("disable"))>"Turn off"</button>
                        </div>
                        {move || gate.get().map(|g| view! {
                            <PasswordGate id="tf-password" action=if g == "disable" { "Turn off 2FA" } else { "Make new codes" } on_submit=gated/>
                        })}
                    }.into_any(),
                    Ok((false, _)) => view! {
                        {move || match enrolment.get() {
                            None => view! {
                                <p class="muted">"Off. With it on, signing in also asks for a code from an authenticator app on your phone."</p>
                                <button type="button" class="button primary" on:click=begin>"Set up two-factor authentication"</button>
                            }.into_any(),
                            Some(e) => view! {
                                <div class="enrol">
                                    <div class="qr" inner_html=e.qr_svg.clone()></div>
                                    <div class="stack">
                                        <p>"Scan the code with your authenticator app, or type this key:"</p>
                                        <p><code id="totp-secret" class="secret">{e.secret.clone()}</code></p>
                                        <form class="inline-form" on:submit=confirm>
                                            <div class="field">
                                                <label for="totp-code">"Code from the app"</label>
                                                <input id="totp-code" type="text" inputmode="numeric" autocomplete="one-time-code"
                                                       prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
                                                {field_error(error, "code")}
                                            </div>
                                            <button type="submit" class="button primary">"Turn on"</button>
                                        </form>
                                        {form_error(error)}
                                    </div>
                                </div>
                            }.into_any(),
                        }}
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn SshKeySection() -> impl IntoView {
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let keys = Resource::new(move || version.get(), |_| list_ssh_keys());
    let name = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            match add_ssh_key(NewSshKey { name: name.get_untracked(), public_key: key.get_untracked() }).await {
                Ok(k) => {
                    toasts.success(format!("Added {} ({}).", k.name, k.fingerprint));
                    name.set(String::new());
                    key.set(String::new());
                    error.set(None);
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let remove = move |id: i64, label: String| {
        toasts.act(delete_ssh_key(id), move |_| format!("Deleted {label}."), Callback::new(move |_| version.update(|v| *v += 1)));
    };
    view! {
        <section class="card" id="ssh-keys">
            <h2>"SSH keys"</h2>
            <p class="muted small">"Public keys put on the VPSs you create."</p>
            <Transition fallback=|| ()>
                {move || keys.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No keys yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="key-list">
                            {list.into_iter().map(|k| {
                                let label = k.name.clone();
                                view! {
                                    <li data-fingerprint=k.fingerprint.clone()>
                                        <div><strong>{k.name.clone()}</strong> " "
                                            <span class="muted small">{format!("{}{}", k.algorithm, k.bits.map(|b| format!(" · {b} bits")).unwrap_or_default())}</span>
                                            <div><code class="small">{k.fingerprint.clone()}</code></div>
                                            <div class="muted small">{format!("Added {}", short_time(&k.created_at))}</div></div>
                                        <button type="button" class="button small danger" aria-label=format!("Delete key {}", k.name)
                                                on:click=move |_| remove(k.id, label.clone())>"Delete"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
            <form class="stack" on:submit=add>
                <TextField id="key-name" label="Name (optional)" value=name error field="name"/>
                <TextArea id="key-text" label="Public key" placeholder="ssh-ed25519 AAAA… you@laptop" value=key error field="public_key"/>
                {form_error(error)}
                <div><button type="submit" class="button primary">"Add key"</button></div>
            </form>
        </section>
    }
}

#[component]
pub fn ApiTokenSection() -> impl IntoView {
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let tokens = Resource::new(move || version.get(), |_| list_api_tokens());
    let name = RwSignal::new(String::new());
    let scope = RwSignal::new(TokenScope::ReadOnly);
    let days = RwSignal::new(String::from("90"));
    let error = RwSignal::new(None::<ApiError>);
    let fresh = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = NewApiToken { name: name.get_untracked(), scope: scope.get_untracked(), expires_in_days: days.get_untracked().parse().ok() };
        if let Err(e) = request.validate() {
            return error.set(Some(e));
        }
        spawn_local(async move {
            match create_api_token(request).await {
                Ok(made) => {
                    fresh.set(Some(made.token));
                    name.set(String::new());
                    error.set(None);
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let revoke = move |id: i64, label: String| {
        toasts.act(revoke_api_token(id), move |_| format!("Revoked {label}."), Callback::new(move |_| version.update(|v| *v += 1)));
    };
    view! {
        <section class="card" id="api-tokens">
            <h2>"API tokens"</h2>
            <p class="muted small">"For scripts: send " <code>"Authorization: Bearer <token>"</code>
                " to /api/v1 or /api/fn. A token can do what you can (read-only tokens only read), except manage your password, 2FA and tokens."</p>
            {move || fresh.get().map(|t| view! {
                <div class="notice" role="status">
                    <p><strong>"Copy your new token now; it will not be shown again."</strong></p>
                    <input id="new-token" class="secret-field" type="text" readonly=true prop:value=t
                           on:focus=crate::components::form::select_all/>
                    <button type="button" class="button small" on:click=move |_| fresh.set(None)>"Done"</button>
                </div>
            })}
            <Transition fallback=|| ()>
                {move || tokens.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap"><table class="table tokens">
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Scope"</th><th scope="col">"Expires"</th>
                                <th scope="col">"Last used"</th><th scope="col"></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| {
                                    let label = t.name.clone();
                                    view! {
                                        <tr data-token=t.name.clone()>
                                            <td><strong>{t.name.clone()}</strong><div class="muted small"><code>{format!("{}…", t.prefix)}</code></div></td>
                                            <td>{match t.scope { TokenScope::ReadOnly => "read-only", TokenScope::Full => "full" }}</td>
                                            <td class="small">{if t.expired { "expired".to_string() } else { t.expires_at.as_deref().map(short_time).unwrap_or_else(|| "never".into()) }}</td>
                                            <td class="muted small">{t.last_used_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
                                            <td><button type="button" class="button small danger" aria-label=format!("Revoke token {}", t.name)
                                                        on:click=move |_| revoke(t.id, label.clone())>"Revoke"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                })}
            </Transition>
            <form class="inline-form" on:submit=create>
                <TextField id="token-name" label="Token name" value=name error field="name"/>
                <div class="field">
                    <label for="token-scope">"Scope"</label>
                    <select id="token-scope" on:change=move |ev| if let Some(s) = TokenScope::parse(&event_target_value(&ev)) { scope.set(s) }>
                        <option value="read_only" selected=true>"Read-only"</option>
                        <option value="full">"Full"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="token-expiry">"Expires"</label>
                    <select id="token-expiry" on:change=move |ev| days.set(event_target_value(&ev))>
                        <option value="7">"in 7 days"</option>
                        <option value="30">"in 30 days"</option>
                        <option value="90" selected=true>"in 90 days"</option>
                        <option value="365">"in a year"</option>
                        <option value="never">"never"</option>
                    </select>
                    {field_error(error, "expires_in_days")}
                </div>
                <button type="submit" class="button primary">"Create token"</button>
            </form>
            {form_error(error)}
        </section>
    }
}
