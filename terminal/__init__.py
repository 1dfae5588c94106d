"""Terminal front end pieces beyond argument parsing: the interactive guide and the demo."""
