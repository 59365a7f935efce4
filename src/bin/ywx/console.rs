//! Where the command's text goes: standard output and standard error.
//! Every line the command prints passes through here.

/// Prints a line to standard output.
macro_rules! out {
    ($($arg:tt)*) => { $crate::console::write_out(&format!($($arg)*)) };
}

/// Prints a line to standard error.
macro_rules! err {
    ($($arg:tt)*) => { $crate::console::write_err(&format!($($arg)*)) };
}

pub(crate) use {err, out};

pub fn write_out(text: &str) {
    println!("{text}");
}

pub fn write_err(text: &str) {
    eprintln!("{text}");
}
