//! Staff views of the container platform: the engines (health, version, counts; admins add and
//! remove them) and each engine's images (which containers use them; admins pull, load a saved
//! archive, build from a context archive, remove). Load, build and pull are jobs: their
//! progress bars show here and on the Jobs page.

use crate::api::containers::{add_engine, engine_images, pull_engine_image, remove_engine, remove_engine_image};
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextField};
use crate::components::shell::use_current_user;
use crate::components::toast::use_toasts;
use crate::components::upload::{put_chosen_file, query_value};
use crate::pages::jobs::{JobFeed, JobRow};
use leptos::prelude::*;
use leptos::task::spawn_local;
use pier_proto::accounts::Role;
use pier_proto::containers::{EngineImage, EngineView, ImageBuild, ImagePull, NewEngine, KIND_IMAGE_BUILD, KIND_IMAGE_LOAD, KIND_IMAGE_PULL};
use pier_proto::ApiError;

fn use_is_admin() -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    let me = use_current_user().0;
    move || me.get().and_then(|r| r.ok()).flatten().is_some_and(|u| u.role == Role::Admin)
}

fn mib(bytes: i64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
}

#[component]
pub fn EnginesCard(engines: Resource<Vec<EngineView>>) -> impl IntoView {
    let is_admin = use_is_admin();
    let toasts = use_toasts();
    let reload = Callback::new(move |_| engines.refetch());
    view! {
        <section class="card">
            <h2>"Engines"</h2>
            <Transition fallback=|| view! { <p class="muted">"Asking the engines…"</p> }>
                {move || engines.get().map(|list| view! {
                    <ul class="plain-list">
                        {list.into_iter().map(|e| {
                            let (id, name) = (e.id, e.name.clone());
                            view! {
                                <li data-engine=e.name.clone()>
                                    <strong>{e.name.clone()}</strong> " " <code>{e.endpoint.clone()}</code> " "
                                    {if e.connected {
                                        view! { <span class="badge badge-succeeded">"connected"</span> " "
                                            <span class="muted">{format!("Docker {} · {} containers ({} running) · {} images", e.version.unwrap_or_default(), e.containers, e.running, e.images)}</span> }.into_any()
                                    } else {
                                        view! { <span class="badge badge-failed">"unreachable"</span> " " <span class="muted">{e.error.unwrap_or_default()}</span> }.into_any()
                                    }}
                                    <Show when=is_admin>
                                        <button type="button" class="button small danger" aria-label=format!("Remove engine {name}")
                                                on:click={let name = name.clone(); move |_| { let name = name.clone(); toasts.act(remove_engine(id), move |_| format!("Removed engine {name}."), reload) }}>"Remove"</button>
                                    </Show>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })}
            </Transition>
            <Show when=is_admin><AddEngine on_added=reload/></Show>
        </section>
    }
}

#[component]
fn AddEngine(on_added: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let endpoint = RwSignal::new(String::new());
    let tls_dir = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let dir = tls_dir.get_untracked().trim().to_string();
        let new = NewEngine { name: name.get_untracked().trim().into(), endpoint: endpoint.get_untracked().trim().into(), tls_dir: (!dir.is_empty()).then_some(dir) };
        if let Err(e) = new.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        spawn_local(async move {
            match add_engine(new).await {
                Ok(e) => {
                    if e.connected {
                        toasts.success(format!("Engine {} added (Docker {}).", e.name, e.version.unwrap_or_default()));
                    } else {
                        toasts.error(format!("Engine {} added, but it does not answer: {}", e.name, e.error.unwrap_or_default()));
                    }
                    name.set(String::new());
                    endpoint.set(String::new());
                    on_added.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <details class="small">
            <summary>"Add an engine"</summary>
            <form class="stack-form" on:submit=submit novalidate=true>
                <TextField id="eng-name" label="Engine name" value=name error field="name"/>
                <TextField id="eng-endpoint" label="Endpoint (unix:///path, tcp://host:2375, tcp+tls://host:2376)" value=endpoint error field="endpoint"/>
                <TextField id="eng-tls" label="Certificate folder for tcp+tls (ca.pem, cert.pem, key.pem)" value=tls_dir error field="tls_dir"/>
                <p class="warning small">"tcp:// is unencrypted and unauthenticated: use it only on loopback or a private network you trust."</p>
                <button type="submit" class="button small">"Add engine"</button>
            </form>
            {form_error(error)}
        </details>
    }
}

#[component]
pub fn ImagesCard(engines: Resource<Vec<EngineView>>) -> impl IntoView {
    let is_admin = use_is_admin();
    let engine = RwSignal::new(None::<i64>);
    let version = RwSignal::new(0u32);
    let images = Resource::new(move || (engine.get(), version.get()), |(e, _)| engine_images(e));
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    let feed = JobFeed::new(30);
    for kind in [KIND_IMAGE_LOAD, KIND_IMAGE_BUILD, KIND_IMAGE_PULL] {
        feed.on_finished(kind, move || reload.run(()));
    }
    view! {
        <section class="card" id="container-images">
            <h2>"Images"</h2>
            <div class="field">
                <label for="img-engine">"Engine"</label>
                <Transition fallback=|| ()>
                    {move || engines.get().map(|l| view! {
                        <select id="img-engine" on:change=move |ev| engine.set(event_target_value(&ev).parse().ok())>
                            {l.into_iter().map(|e| view! { <option value=e.id.to_string()>{e.name}</option> }).collect_view()}
                        </select>
                    })}
                </Transition>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading images…"</p> }>
                {move || images.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => view! {
                        <table class="table">
                            <thead><tr><th>"Image"</th><th>"Size"</th><th>"Used by"</th><th></th></tr></thead>
                            <tbody>{list.into_iter().map(|i| view! { <ImageRow image=i reload/> }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
            <ul class="job-list plain-list" aria-label="Image jobs">
                // The latest image jobs, live (new ones arrive on the jobs feed as they start).
                <Transition fallback=|| ()>
                    {move || feed.jobs().into_iter().filter(|j| j.kind.starts_with("container_image.")).take(5).map(|j| view! { <JobRow job=j feed/> }).collect_view()}
                </Transition>
            </ul>
            <Show when=is_admin>
                <PullImage engine/>
                <UploadImage engine first_engine=Signal::derive(move || engines.get().and_then(|l| l.first().map(|e| e.id)))/>
            </Show>
        </section>
    }
}

#[component]
fn ImageRow(image: EngineImage, reload: Callback<()>) -> impl IntoView {
    let is_admin = use_is_admin();
    let toasts = use_toasts();
    let label = image.tags.first().cloned().unwrap_or_else(|| image.id.chars().take(19).collect());
    let (engine_id, reference) = (image.engine_id, image.tags.first().cloned().unwrap_or_else(|| image.id.clone()));
    let remove = {
        let label = label.clone();
        move |_| {
            let label = label.clone();
            toasts.act(remove_engine_image(Some(engine_id), reference.clone()), move |_| format!("Removed {label}."), reload)
        }
    };
    let remove_label = format!("Remove image {label}");
    let used = if image.used_by.is_empty() { "—".to_string() } else { image.used_by.join(", ") };
    view! {
        <tr data-image-tag=label.clone()>
            <td><strong>{label.clone()}</strong>
                {(image.tags.len() > 1).then(|| view! { <div class="muted small">{image.tags[1..].join(", ")}</div> })}
                <div class="muted small"><code>{image.id.chars().take(19).collect::<String>()}</code></div></td>
            <td class="small">{mib(image.size)}</td>
            <td class="small" data-testid="image-used-by">{used}</td>
            <td><Show when=is_admin>
                <button type="button" class="button small danger" aria-label=remove_label.clone() on:click=remove.clone()>"Remove"</button>
            </Show></td>
        </tr>
    }
}

#[component]
fn PullImage(engine: RwSignal<Option<i64>>) -> impl IntoView {
    let reference = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let pull = ImagePull { engine_id: engine.get_untracked(), reference: reference.get_untracked().trim().into() };
        if let Err(e) = pull.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        spawn_local(async move {
            match pull_engine_image(pull).await {
                Ok(_) => reference.set(String::new()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="inline-form" on:submit=submit novalidate=true>
            <TextField id="img-pull" label="Pull from a registry (name:tag)" value=reference error field="reference"/>
            <button type="submit" class="button small">"Pull"</button>
        </form>
        {form_error(error)}
    }
}

/// A `docker save` archive to load, or a build context (a .tar with the Dockerfile) to build.
#[component]
fn UploadImage(engine: RwSignal<Option<i64>>, first_engine: Signal<Option<i64>>) -> impl IntoView {
    let toasts = use_toasts();
    let build = RwSignal::new(false);
    let tag = RwSignal::new(String::new());
    let dockerfile = RwSignal::new(String::from("Dockerfile"));
    let progress = RwSignal::new(None::<u8>);
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Until another is chosen, the list shows the first engine.
        let Some(engine_id) = engine.get_untracked().or_else(|| first_engine.get_untracked()) else {
            return error.set(Some(ApiError::invalid("file", "There is no engine to send it to.")));
        };
        let url = if build.get_untracked() {
            let b = ImageBuild { engine_id: Some(engine_id), tag: tag.get_untracked().trim().into(), dockerfile: dockerfile.get_untracked().trim().into() };
            if let Err(e) = b.validate() {
                return error.set(Some(e));
            }
            format!("/api/v1/engines/{engine_id}/images/build?tag={}&dockerfile={}", query_value(&b.tag), query_value(&b.dockerfile))
        } else {
            format!("/api/v1/engines/{engine_id}/images/load")
        };
        error.set(None);
        let answered = Callback::new(move |r: Result<serde_json::Value, ApiError>| match r {
            Ok(v) => {
                toasts.success(format!("Uploaded; job #{} is on it.", v["job"]));
            }
            Err(e) => error.set(Some(e)),
        });
        if let Err(e) = put_chosen_file("img-archive", &url, "file", progress, answered) {
            error.set(Some(e));
        }
    };
    view! {
        <form class="stack-form" on:submit=submit novalidate=true>
            <div class="field">
                <label for="img-what">"Upload"</label>
                <select id="img-what" on:change=move |ev| build.set(event_target_value(&ev) == "build")>
                    <option value="load">"a saved image (docker save .tar) to load"</option>
                    <option value="build">"a build context (.tar with a Dockerfile) to build"</option>
                </select>
            </div>
            <div class="field">
                <label for="img-archive">"Archive"</label>
                <input type="file" id="img-archive" accept=".tar,application/x-tar"/>
            </div>
            <Show when=move || build.get()>
                <TextField id="img-tag" label="Tag for the built image (name:tag)" value=tag error field="tag"/>
                <TextField id="img-dockerfile" label="Dockerfile in the archive" value=dockerfile error field="dockerfile"/>
            </Show>
            <button type="submit" class="button small" disabled=move || progress.get().is_some()>
                {move || if build.get() { "Upload and build" } else { "Upload and load" }}</button>
            {move || progress.get().map(|p| view! {
                <crate::components::progress::ProgressBar value=p state=pier_proto::jobs::JobState::Running label="Uploading the archive"/>
                <p class="muted small" data-testid="archive-progress">{format!("Uploading… {p} %")}</p>
            })}
        </form>
        {form_error(error)}
    }
}
