//! The progress display of `backup` and `restore`: an indicatif bar on standard error with
//! bytes, items, rate and time left, shown only when standard error is a terminal and
//! `--quiet` was not given.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::domain::archive::Progress;

/// A bar when a person is watching, nothing otherwise.
pub struct Display {
    bar: Option<ProgressBar>,
    items: AtomicU64,
}

impl Display {
    /// A display on standard error, or a silent one for scripts and `--quiet`.
    pub fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Display {
            bar,
            items: AtomicU64::new(0),
        }
    }

    /// Removes the bar before the summary line is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Display {
    fn phase(&self, name: &'static str, total_bytes: Option<u64>) {
        let Some(bar) = &self.bar else { return };
        self.items.store(0, Ordering::Relaxed);
        let template = match total_bytes {
            Some(total) => {
                bar.set_length(total);
                "{spinner} {msg}: [{bar:30}] {binary_bytes}/{binary_total_bytes} \
                 {binary_bytes_per_sec}, {prefix}, {eta} left"
            }
            None => {
                bar.unset_length();
                "{spinner} {msg}: {binary_bytes} {binary_bytes_per_sec}, {prefix}"
            }
        };
        let style = ProgressStyle::with_template(template)
            .expect("a constant template parses")
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_position(0);
        bar.set_prefix("0 items");
        bar.set_message(name);
    }

    fn advance(&self, bytes: u64, items: u64) {
        let Some(bar) = &self.bar else { return };
        bar.inc(bytes);
        if items > 0 {
            let done = self.items.fetch_add(items, Ordering::Relaxed) + items;
            bar.set_prefix(format!("{done} items"));
        }
    }
}
