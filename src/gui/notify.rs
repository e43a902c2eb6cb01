//! Desktop notifications for what happens while the window is in the background: a job that
//! ends, a connection that needs the user. Where the desktop has no notification service
//! (a bare X server, CI), sending fails and is ignored.

/// Shows a notification from a short-lived thread; the D-Bus round trip never holds up a frame.
pub fn desktop(summary: String, body: String) {
    std::thread::spawn(move || {
        let shown = notify_rust::Notification::new()
            .appname("Audience Desk")
            .summary(&summary)
            .body(&body)
            .show();
        if let Err(e) = shown {
            tracing::debug!("no desktop notification: {e}");
        }
    });
}
