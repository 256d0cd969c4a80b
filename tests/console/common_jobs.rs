//! A real local NEC ID service on 127.0.0.1 (`necid_server::app` with the real face models) and a
//! small shell that drives one pane headless the way the console's shell does: it builds the
//! pane's `PaneContext`, draws the pane, then hands the frame's commands to the real `Backend`.
//!
//! The panes are driven on their own, rather than through the whole console, so that a test can
//! give the connection the bucket folder of the service it started (the console's Local profile
//! does the same for its embedded service) without going through the keyring.
//! Shared by `tests/console/subjects_jobs.rs` and `benches/subjects_frame.rs`.
#![allow(dead_code)]
// the test and the bench each use a part
// Setting up a service in a test waits for it and spawns its listener: this is the test's
// runtime, not the UI thread.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use necid::{CreateGallery, GalleryId, TagName};
use necid_console::AppPaths;
use necid_console::backend::{Backend, OpenedGallery, Outbox};
use necid_console::connection::Connection;
use necid_console::open_gallery::GalleryCache;
use necid_console::profiles::{Profile, ProfileId, ProfileKind};
use necid_console::ui::{ConnectionState, Pane, PaneContext, ShellAction};
use necid_console::widgets::Toasts;

/// The console's own background runtime, as `main.rs` builds it.
pub fn runtime() -> tokio::runtime::Runtime {
    necid_console::backend::runtime().expect("a tokio runtime")
}

/// A running local service, its client, and a gallery opened on it.
#[derive(Debug)]
pub struct Service {
    pub state: necid_server::AppState,
    /// The service itself (listener and bulk worker), started through the server's door;
    /// dropping it stops all of it.
    pub running: necid_server::Running,
    pub client: necid::Client,
    pub gallery: OpenedGallery,
    /// The service's bucket folder, where bulk jobs read their files.
    pub bucket_dir: PathBuf,
    pub base_url: String,
}

/// Starts the service over `data_dir` with the real face engine (the test kit's, loaded once), and
/// creates a gallery of `size` slots with one tag per entry of `tags`.
pub fn start_service(
    runtime: &tokio::runtime::Runtime,
    data_dir: &Path,
    size: u64,
    tags: &[&str],
) -> Service {
    let running = runtime
        .block_on(necid_server::LocalService::start(
            necid_testkit::local_options(data_dir),
        ))
        .expect("the local service starts");
    let state = running.state().clone();
    let base_url = running.base_url.clone();
    let client = necid_testkit::client(&running);
    let gallery = runtime.block_on(async {
        let created = client
            .galleries()
            .create(&CreateGallery {
                name: format!("test-{}", uuid::Uuid::new_v4().simple()),
                description: String::new(),
                face_minimum_quality_score: 0.45,
                size,
            })
            .await
            .expect("create a gallery");
        let handle = client.gallery(created.api_key.clone());
        for tag in tags {
            handle
                .create_tag(&TagName::new(*tag))
                .await
                .expect("create a tag");
        }
        OpenedGallery {
            gallery_id: created.id.clone(),
            name: created.name.clone(),
            size: created.size,
            count: 0,
            gallery: handle,
        }
    });
    Service {
        state,
        client,
        gallery,
        bucket_dir: running.bucket_dir.clone(),
        base_url,
        running,
    }
}

impl Service {
    /// The gallery's id as the service's store knows it.
    pub fn gallery_id(&self) -> &GalleryId {
        &self.gallery.gallery_id
    }

    /// The connection a Local profile over this service would have.
    pub fn connection(&self, with_bucket: bool) -> Connection {
        let profile = Profile {
            profile_id: ProfileId::new_random(),
            name: "Test service".to_owned(),
            kind: ProfileKind::Custom,
            api_base_url: self.base_url.clone(),
            portal_base_url: self.base_url.clone(),
            region: "ap-southeast-2".to_owned(),
            badge_rgb: [80, 160, 80],
            connect_timeout_secs: necid_console::profiles::DEFAULT_CONNECT_TIMEOUT_SECS,
            request_timeout_secs: necid_console::profiles::DEFAULT_REQUEST_TIMEOUT_SECS,
        };
        Connection {
            profile_id: profile.profile_id.clone(),
            profile,
            client: self.client.clone(),
            bucket_dir: with_bucket.then(|| self.bucket_dir.clone()),
            generation: 1,
        }
    }
}

/// One pane with what the shell would give it.
#[derive(Debug)]
pub struct PaneShell<P> {
    pub pane: P,
    pub backend: Backend,
    pub outbox: Outbox,
    pub toasts: Toasts,
    pub actions: Vec<ShellAction>,
    pub connection: Connection,
    /// The Local profile's client, when the test gives the pane one beside `connection`.
    pub local: Option<Connection>,
    /// The open gallery with its tags, as the shell keeps it.
    pub gallery: GalleryCache,
    /// What the pane asked of the shell beyond gallery changes (an image to enrol), for the
    /// test to carry out.
    pub asked: Vec<ShellAction>,
}

impl<P: Pane> PaneShell<P> {
    pub fn new(
        pane: P,
        runtime: &tokio::runtime::Runtime,
        paths: AppPaths,
        connection: Connection,
        gallery: OpenedGallery,
    ) -> Self {
        Self {
            pane,
            backend: Backend::new(runtime.handle().clone(), paths),
            outbox: Outbox::default(),
            toasts: Toasts::default(),
            actions: Vec::new(),
            connection,
            local: None,
            gallery: GalleryCache::new(gallery),
            asked: Vec::new(),
        }
    }

    /// The pane in a window of `size`, drawn each frame by [`PaneShell::ui`].
    pub fn into_harness(self, size: [f32; 2]) -> egui_kittest::Harness<'static, Self>
    where
        P: 'static,
    {
        egui_kittest::Harness::builder()
            .with_size(size)
            .build_ui_state(|ui, shell: &mut Self| shell.ui(ui), self)
    }

    /// One frame: the pane in a central panel, then the changes it reported to the gallery and
    /// its commands to the backend, as the console's shell does.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let data_dir = self.backend.paths().data_dir.clone();
        egui::CentralPanel::default().show(ui, |ui| {
            let mut cx = PaneContext {
                outbox: &mut self.outbox,
                toasts: &mut self.toasts,
                actions: &mut self.actions,
                connection: ConnectionState::Ready(&self.connection),
                local: self.local.as_ref(),
                gallery: Some(&self.gallery),
                opening_gallery: false,
                data_dir: &data_dir,
                shell: None,
            };
            self.pane.poll(&mut cx);
            self.pane.ui(ui, &mut cx);
        });
        self.toasts.ui(ui);
        for action in self.actions.drain(..) {
            if let ShellAction::GalleryChanged(change) = &action {
                self.gallery.invalidate(change);
                self.pane.on_gallery_change(change);
            } else {
                self.asked.push(action);
            }
        }
        self.gallery.update(&mut self.outbox);
        for command in self.outbox.drain() {
            self.backend.execute(command, ui.ctx());
        }
    }
}

/// Steps `step` until `done` holds, for at most `timeout` of real time.
pub fn wait_for<S>(
    state: &mut S,
    what: &str,
    timeout: Duration,
    mut step: impl FnMut(&mut S),
    done: impl Fn(&S) -> bool,
) {
    let deadline = Instant::now() + timeout;
    loop {
        step(state);
        if done(state) {
            step(state);
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
