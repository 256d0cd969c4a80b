//! The NEC ID admin console: logging, the one tokio runtime, and the window.

use anyhow::Context as _;
use necid_console::{APP_TITLE, AppPaths, ConsoleApp};

fn main() -> anyhow::Result<()> {
    let _ = necid_console::PROCESS_STARTED.set(std::time::Instant::now());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    // The one runtime: every background task of the console runs here (see backend.rs).
    let runtime =
        necid_console::backend::runtime().context("could not start the background runtime")?;
    let _enter = runtime.enter();

    let paths = AppPaths::from_os()?;
    tracing::info!(config = %paths.config_dir.display(), data = %paths.data_dir.display(), "starting");
    let options = eframe::NativeOptions {
        viewport: necid_console::desktop::viewport(APP_TITLE),
        persistence_path: Some(paths.eframe_state_file()),
        ..Default::default()
    };
    let handle = runtime.handle().clone();
    eframe::run_native(
        APP_TITLE,
        options,
        Box::new(move |cc| {
            if let Err(error) = necid_console::desktop::set_x11_window_class(cc) {
                tracing::warn!(%error, "the window keeps eframe's WM_CLASS");
            }
            let app = ConsoleApp::new(paths, handle, cc.storage);
            // The built-in Local profile: the service embedded in the console.
            // Its models: the first folder of the search path that has them, else the folder a
            // first run fetches them into.
            Ok(Box::new(
                match necid_console::models::locate(&necid_console::models::search_path()) {
                    Some(models) => app.with_local_service(models.dir).fetching_missing_models(),
                    None => {
                        tracing::warn!("no models folder (HOME is not set): no Local profile");
                        app
                    }
                },
            ))
        }),
    )
    .map_err(|error| anyhow::anyhow!("the console window could not be opened: {error}"))
}
