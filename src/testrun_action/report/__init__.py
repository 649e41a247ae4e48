"""Pure rendering of the report: values in, strings out, no I/O."""
