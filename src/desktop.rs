//! What makes the console a desktop program rather than a window: its icon (also the window's),
//! its application id, and a title that names the profile and the open gallery, so a window
//! list or a screenshot says which tenant an admin is looking at.

/// The application id: the `.desktop` file's name and `StartupWMClass`, the icon's name, and
/// the binary's name (X11 takes `WM_CLASS` from it).
pub const APP_ID: &str = "necid-console";

/// The app icon at 256×256, as `scripts/render-icons` rendered it from `assets/necid-console.svg`.
const ICON_PNG: &[u8] = include_bytes!("../assets/icons/256x256/necid-console.png");

/// Why the window icon could not be made (a broken asset; the window then has none).
#[derive(Debug, thiserror::Error)]
#[error("the app icon could not be decoded: {0}")]
pub struct IconError(#[from] image::ImageError);

/// The window icon, decoded from the committed PNG.
pub fn window_icon() -> Result<egui::IconData, IconError> {
    let rgba = image::load_from_memory_with_format(ICON_PNG, image::ImageFormat::Png)?.into_rgba8();
    Ok(egui::IconData {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

/// The window's settings: size, icon and application id.
///
/// The app id is handed to the windowing system only on Wayland, where it is the app id the
/// compositor matches with the `.desktop` file. On X11, eframe 0.37 would turn it into a
/// `WM_CLASS` with an empty instance; left out, winit names both parts after the binary
/// (`necid-console`), which is what the `.desktop` file's `StartupWMClass` says.
pub fn viewport(title: &str) -> egui::ViewportBuilder {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(title)
        .with_inner_size([1200.0, 780.0])
        .with_min_inner_size([720.0, 480.0]);
    match window_icon() {
        Ok(icon) => viewport = viewport.with_icon(std::sync::Arc::new(icon)),
        Err(error) => tracing::warn!(%error, "the window has no icon"),
    }
    if wayland_session() {
        viewport = viewport.with_app_id(APP_ID);
    }
    viewport
}

/// Why the window's class could not be set (the window keeps the one eframe gave it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WindowClassError {
    #[error("no window handle: {0}")]
    Handle(String),
    #[error("the X server: {0}")]
    X11(String),
}

/// On X11, sets the window's `WM_CLASS` to `necid-console`, `necid-console` (instance, class).
/// eframe 0.37 built with Wayland support hands winit the app id as the class and an empty
/// instance, which window managers and `xprop` show as `"", "NEC ID Console"`. Does nothing on
/// Wayland (there the app id is the class) and returns whether it set it.
#[cfg(target_os = "linux")]
pub fn set_x11_window_class(
    window: &impl raw_window_handle::HasWindowHandle,
) -> Result<bool, WindowClassError> {
    use raw_window_handle::RawWindowHandle;
    use x11rb::connection::Connection as _;
    use x11rb::protocol::xproto::{AtomEnum, PropMode};
    use x11rb::wrapper::ConnectionExt as _;

    let handle = window
        .window_handle()
        .map_err(|error| WindowClassError::Handle(error.to_string()))?;
    let window_id = match handle.as_raw() {
        RawWindowHandle::Xlib(xlib) => u32::try_from(xlib.window)
            .map_err(|_| WindowClassError::Handle("an X window id beyond 32 bits".to_owned()))?,
        RawWindowHandle::Xcb(xcb) => xcb.window.get(),
        _ => return Ok(false),
    };
    let x11 = |error: &dyn std::fmt::Display| WindowClassError::X11(error.to_string());
    let (connection, _screen) = x11rb::connect(None).map_err(|e| x11(&e))?;
    let class = format!("{APP_ID}\0{APP_ID}\0");
    connection
        .change_property8(
            PropMode::REPLACE,
            window_id,
            AtomEnum::WM_CLASS,
            AtomEnum::STRING,
            class.as_bytes(),
        )
        .map_err(|e| x11(&e))?
        .check()
        .map_err(|e| x11(&e))?;
    connection.flush().map_err(|e| x11(&e))?;
    Ok(true)
}

/// Whether winit will open the window on Wayland (its own rule: a Wayland display is named).
fn wayland_session() -> bool {
    ["WAYLAND_DISPLAY", "WAYLAND_SOCKET"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}

/// The window title: the app, then the active profile, then the open gallery when there is one.
pub fn window_title(profile_name: Option<&str>, gallery_name: Option<&str>) -> String {
    let mut title = crate::APP_TITLE.to_owned();
    if let Some(profile) = profile_name {
        title.push_str(" — ");
        title.push_str(profile);
        if let Some(gallery) = gallery_name {
            title.push_str(" — ");
            title.push_str(gallery);
        }
    }
    title
}

/// Ctrl+Shift+C copies the status line: what an admin pastes into a ticket (the top bar's
/// texts cannot be selected), and what a script under a bare X server can read back.
pub fn copy_status_shortcut() -> egui::KeyboardShortcut {
    egui::KeyboardShortcut::new(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::C,
    )
}

/// The window title, then the Local service's status when the Local profile is active. It
/// never holds a key or an address.
pub fn status_line(title: &str, local_status: Option<&str>) -> String {
    match local_status {
        Some(status) => format!("{title} · {status}"),
        None => title.to_owned(),
    }
}

/// Sends the window a new title only when it changed (a title change is a request to the
/// windowing system, not something to repeat every frame).
#[derive(Debug, Default)]
pub struct TitleKeeper {
    shown: Option<String>,
}

impl TitleKeeper {
    pub fn update(&mut self, ctx: &egui::Context, title: String) {
        if self.shown.as_deref() != Some(title.as_str()) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.shown = Some(title);
        }
    }

    /// The title last sent to the window.
    pub fn shown(&self) -> Option<&str> {
        self.shown.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_icon_is_the_256_pixel_app_icon_with_transparent_corners() {
        let icon = window_icon().expect("the committed icon decodes");
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
        // The rounded square leaves the corner pixel transparent and fills the centre.
        assert_eq!(icon.rgba[3], 0, "the corner is transparent");
        let centre = ((128 * 256 + 128) * 4 + 3) as usize;
        assert_eq!(icon.rgba[centre], 255, "the centre is opaque");
    }

    #[test]
    fn the_title_names_the_profile_and_then_the_open_gallery() {
        assert_eq!(window_title(None, None), "NEC ID Console");
        assert_eq!(window_title(Some("Local"), None), "NEC ID Console — Local");
        assert_eq!(
            window_title(Some("Production"), Some("Staff")),
            "NEC ID Console — Production — Staff"
        );
    }
}
