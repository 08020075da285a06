"""Hidden tests of lab lazy: never copied into a handout (make grade HIDDEN=1)."""
