//! Frame time of the Subjects pane over 100,000 rows (to be written).
fn main() {}
