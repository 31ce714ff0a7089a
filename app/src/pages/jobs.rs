//! The Jobs page: recent jobs with live progress, and the diagnostics an operator can start.

use crate::api::{cancel_job, list_jobs, start_job};
use crate::components::confirm::ConfirmDialog;
use crate::components::empty::EmptyState;
use crate::components::error_box::ErrorBox;
use crate::components::form::field_error;
use crate::components::progress::ProgressBar;
use crate::components::toast::use_toasts;
use crate::live::{use_live, LiveMsg};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use pier_proto::jobs::{JobQuery, JobState, JobView, StartJob, WorkerTestParams, KIND_SYSTEM_CHECK, KIND_WORKER_TEST};
use pier_proto::live::Topic;
use pier_proto::ApiError;
use std::collections::BTreeMap;

/// A list of recent jobs, rendered on the server and kept current by the live socket.
#[derive(Clone, Copy)]
pub struct JobFeed {
    resource: Resource<Result<Vec<JobView>, ApiError>>,
    live: RwSignal<BTreeMap<i64, JobView>>,
    limit: usize,
}

impl JobFeed {
    pub fn new(limit: u32) -> Self {
        let version = RwSignal::new(0u32);
        let resource = Resource::new(
            move || version.get(),
            move |_| list_jobs(JobQuery { limit: Some(limit), ..Default::default() }),
        );
        let live = RwSignal::new(BTreeMap::new());
        use_live(Topic::jobs(), move |msg| match msg {
            LiveMsg::Data(value) => {
                if let Ok(job) = serde_json::from_value::<JobView>(value) {
                    live.update(|m| {
                        m.insert(job.id, job);
                    });
                }
            }
            LiveMsg::Resync => {
                // The refetched list is newer than anything we hold.
                live.update(|m| m.clear());
                version.update(|v| *v += 1);
            }
        });
        Self { resource, live, limit: limit as usize }
    }

    /// The fetched list with live updates laid over it, newest first.
    pub fn jobs(&self) -> Vec<JobView> {
        let mut by_id: BTreeMap<i64, JobView> = self
            .resource
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|j| (j.id, j))
            .collect();
        for (id, job) in self.live.get() {
            by_id.insert(id, job);
        }
        by_id.into_values().rev().take(self.limit).collect()
    }

    pub fn error(&self) -> Option<ApiError> {
        self.resource.get().and_then(Result::err)
    }

    /// Calls `then` each time another job of `kind` reaches a final state (a page whose rows a
    /// job changes re-reads them).
    pub fn on_finished(self, kind: &'static str, then: impl Fn() + 'static) {
        // None until the list has loaded: loading it is not "another job finished".
        let finished = Memo::new(move |_| self.resource.get().map(|_| self.jobs().iter().filter(|j| j.kind == kind && j.state.is_final()).count()));
        Effect::new(move |prev: Option<Option<usize>>| {
            let now = finished.get();
            if let (Some(Some(p)), Some(n)) = (prev, now) {
                if p != n {
                    then();
                }
            }
            now
        });
    }

    /// Shows a job right away (from a start/cancel answer) without waiting for its event.
    pub fn upsert(&self, job: JobView) {
        self.live.update(|m| {
            m.insert(job.id, job);
        });
    }
}

pub fn state_badge(state: JobState) -> impl IntoView {
    view! { <span class=format!("badge badge-{}", state.as_str())>{state.as_str()}</span> }
}

/// One job: title, state, progress bar, message; a cancel button while it is not finished.
#[component]
pub fn JobRow(job: JobView, feed: JobFeed) -> impl IntoView {
    let toasts = use_toasts();
    let confirm_open = RwSignal::new(false);
    let id = job.id;
    let name = format!("job-{id}");
    let on_cancel = Callback::new(move |_| {
        spawn_local(async move {
            match cancel_job(id).await {
                Ok(j) => {
                    toasts.success(format!("Cancelling job #{id}."));
                    feed.upsert(j);
                }
                Err(e) => toasts.error(format!("Could not cancel job #{id}: {}", e.message)),
            }
        });
    });
    let cancellable = !job.state.is_final() && !job.cancel_requested;
    let label = format!("Progress of job #{id} ({})", job.title);
    view! {
        <li class="job" data-job-id=id data-state=job.state.as_str()>
            <div class="job-head">
                <span class="job-title">{job.title.clone()}</span>
                <span class="job-id muted">"#" {id}</span>
                {(!job.target.is_empty()).then(|| view! { <span class="muted">{job.target.clone()}</span> })}
                <span class="grow"></span>
                {state_badge(job.state)}
            </div>
            <ProgressBar value=Signal::derive(move || job.progress) state=Signal::derive(move || job.state) label/>
            <div class="job-foot">
                <span class="job-message">{job.message.clone()}</span>
                <span class="grow"></span>
                <span class="muted job-pct">{job.progress} "%"</span>
                {cancellable.then(|| view! {
                    <button type="button" class="button small" on:click=move |_| confirm_open.set(true)>"Cancel"</button>
                })}
            </div>
            <ConfirmDialog open=confirm_open title=format!("Cancel job #{id}?")
                message="The job stops at its next safe point. Work it has done is not undone."
                confirm_text=name action_label="Cancel job" on_confirm=on_cancel/>
        </li>
    }
}

/// The list of a feed's jobs, with loading, error and empty states.
#[component]
pub fn JobList(feed: JobFeed, #[prop(into)] empty_text: String) -> impl IntoView {
    // A memo, so live progress updates re-render rows, not the whole list.
    let is_empty = Memo::new(move |_| feed.jobs().is_empty());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading jobs…"</p> }>
            {move || {
                let _ = feed.resource.get();
                if let Some(e) = feed.error() {
                    return view! { <ErrorBox error=e/> }.into_any();
                }
                if is_empty.get() {
                    return view! { <EmptyState icon="jobs" title="No jobs yet" text=empty_text.clone()/> }.into_any();
                }
                view! {
                    <ul class="job-list">
                        <For each=move || feed.jobs() key=|j| (j.id, j.updated_at.clone(), j.state, j.progress) let:job>
                            <JobRow job feed/>
                        </For>
                    </ul>
                }.into_any()
            }}
        </Transition>
    }
}

#[component]
pub fn JobsPage() -> impl IntoView {
    let feed = JobFeed::new(50);
    let toasts = use_toasts();
    let seconds = RwSignal::new(WorkerTestParams::default().seconds.to_string());
    let steps = RwSignal::new(WorkerTestParams::default().steps.to_string());
    let form_error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    let start = move |kind: &'static str, params: serde_json::Value| {
        busy.set(true);
        spawn_local(async move {
            let request = StartJob { kind: kind.to_string(), params, idempotency_key: None };
            match start_job(request).await {
                Ok(job) => {
                    toasts.success(format!("Started {} (job #{}).", job.title, job.id));
                    feed.upsert(job);
                }
                Err(e) => {
                    toasts.error(format!("Could not start the job: {}", e.message));
                    form_error.set(Some(e));
                }
            }
            busy.set(false);
        });
    };

    let run_worker_test = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = (seconds.get_untracked().trim().parse::<u32>(), steps.get_untracked().trim().parse::<u32>());
        let params = match parsed {
            (Ok(seconds), Ok(steps)) => WorkerTestParams { seconds, steps },
            (Err(_), _) => return form_error.set(Some(ApiError::invalid("seconds", "Duration must be a whole number of seconds."))),
            (_, Err(_)) => return form_error.set(Some(ApiError::invalid("steps", "Steps must be a whole number."))),
        };
        // The same rule the server applies, so the form says it first.
        if let Err(e) = params.validate() {
            return form_error.set(Some(e));
        }
        form_error.set(None);
        start(KIND_WORKER_TEST, serde_json::to_value(params).unwrap_or_default());
    };

    view! {
        <Title text="Jobs"/>
        <div class="page-head">
            <h1>"Jobs"</h1>
            <p class="muted">"Long work runs as jobs: it survives a restart of the panel and shows its progress live."</p>
        </div>
        <section class="card">
            <h2>"Diagnostics"</h2>
            <div class="actions-row">
                <button type="button" class="button primary" disabled=move || busy.get()
                        on:click=move |_| start(KIND_SYSTEM_CHECK, serde_json::json!({}))>"Run health check"</button>
            </div>
            <form class="inline-form" on:submit=run_worker_test novalidate=true>
                <div class="field">
                    <label for="wt-seconds">"Duration (seconds)"</label>
                    <input id="wt-seconds" name="seconds" type="number" inputmode="numeric" min="1" max=WorkerTestParams::MAX_SECONDS
                           prop:value=move || seconds.get() on:input=move |ev| seconds.set(event_target_value(&ev))/>
                    {field_error(form_error, "seconds")}
                </div>
                <div class="field">
                    <label for="wt-steps">"Steps"</label>
                    <input id="wt-steps" name="steps" type="number" inputmode="numeric" min="1" max=WorkerTestParams::MAX_STEPS
                           prop:value=move || steps.get() on:input=move |ev| steps.set(event_target_value(&ev))/>
                    {field_error(form_error, "steps")}
                </div>
                <button type="submit" class="button" disabled=move || busy.get()>"Run worker self-test"</button>
            </form>
        </section>
        <section class="card">
            <h2>"Recent jobs"</h2>
            <JobList feed empty_text="Jobs appear here when you create a VPS, order a certificate, run a backup, or start a diagnostic above."/>
        </section>
    }
}
