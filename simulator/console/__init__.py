"""`pos-sim console`: the simulated host with a face. A Textual app that shows what the host is
doing (its lines, every frame both ways, its appointments and cancellations) and lets a
technician steer it while terminals talk to it (faults for the next answer or until cleared, the
host's clock, the data). Serving stays on the host's own threads; the app only reads the host's
activity feed in batches and sets its fault board and clock (docs/console.md)."""
