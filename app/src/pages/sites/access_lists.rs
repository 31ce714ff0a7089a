//! Access lists: the people password-protected sites ask to sign in. Passwords go to the
//! server once and are kept only as hashes; the list shows user names.

use crate::api::sites::{delete_access_list, list_access_lists, save_access_list};
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextArea, TextField};
use crate::components::toast::use_toasts;
use leptos::prelude::*;
use leptos::task::spawn_local;
use pier_proto::sites::{AccessListInput, AccessListView, AccessUserInput};
use pier_proto::ApiError;

#[component]
pub fn AccessListsCard(on_change: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let lists = Resource::new(move || version.get(), |_| list_access_lists());
    let reload = Callback::new(move |_| {
        version.update(|v| *v += 1);
        on_change.run(());
    });
    // The list being edited (None: a new one).
    let editing = RwSignal::new(None::<AccessListView>);
    let remove = move |l: AccessListView| toasts.act(delete_access_list(l.id), move |_| format!("Deleted access list {}.", l.name), reload);
    view! {
        <section class="card">
            <h2>"Access lists"</h2>
            <p class="muted">"People who may open password-protected sites. Choose a list in a site's Access settings."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading access lists…"</p> }>
                {move || lists.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No access lists yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap"><table class="table access-lists">
                            <thead><tr><th scope="col">"List"</th><th scope="col">"Users"</th><th scope="col">"Protects"</th><th scope="col"></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|l| {
                                    let (e, r) = (l.clone(), l.clone());
                                    view! {
                                        <tr data-access-list=l.name.clone()>
                                            <td><strong>{l.name.clone()}</strong></td>
                                            <td>{l.users.join(", ")}</td>
                                            <td>{if l.used_by.is_empty() { "—".to_string() } else { l.used_by.join(", ") }}</td>
                                            <td class="row-actions">
                                                <button type="button" class="button small" aria-label=format!("Edit access list {}", l.name) on:click=move |_| editing.set(Some(e.clone()))>"Edit"</button>
                                                <button type="button" class="button small danger" aria-label=format!("Delete access list {}", l.name) on:click=move |_| remove(r.clone())>"Delete"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                })}
            </Transition>
            <AccessListForm editing on_saved=reload/>
        </section>
    }
}

/// `user password` per line; an existing user given without a password keeps theirs.
fn users_of(text: &str) -> Vec<AccessUserInput> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((u, p)) if !p.trim().is_empty() => AccessUserInput { username: u.to_string(), password: Some(p.trim().to_string()) },
            _ => AccessUserInput { username: l.split_whitespace().next().unwrap_or_default().to_string(), password: None },
        })
        .collect()
}

#[component]
fn AccessListForm(editing: RwSignal<Option<AccessListView>>, on_saved: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let users = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    // Editing a list fills the form with its name and user names (passwords stay unknown).
    Effect::new(move |_| {
        if let Some(l) = editing.get() {
            name.set(l.name.clone());
            users.set(l.users.join("\n"));
            error.set(None);
        }
    });
    let reset = move || {
        editing.set(None);
        name.set(String::new());
        users.set(String::new());
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = AccessListInput { name: name.get_untracked().trim().to_string(), users: users_of(&users.get_untracked()) };
        if let Err(e) = input.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        let id = editing.get_untracked().map(|l| l.id);
        spawn_local(async move {
            match save_access_list(id, input).await {
                Ok(l) => {
                    toasts.success(format!("Access list {} is live.", l.name));
                    reset();
                    let _ = on_saved.try_run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <h3>{move || match editing.get() { Some(l) => format!("Change {}", l.name), None => "New access list".to_string() }}</h3>
        <form class="inline-form" on:submit=submit novalidate=true>
            <TextField id="access-name" label="List name" value=name error field="name"/>
            <TextArea id="access-users" label="Users (name password, one per line; a name alone keeps its password)" value=users error field="users" placeholder="ann a-long-password"/>
            <button type="submit" class="button primary">{move || if editing.get().is_some() { "Save list" } else { "Add list" }}</button>
            <Show when=move || editing.get().is_some()>
                <button type="button" class="button" on:click=move |_| reset()>"Cancel"</button>
            </Show>
        </form>
        {form_error(error)}
    }
}
