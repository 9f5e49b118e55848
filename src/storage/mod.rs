//! Stored objects: package files, images and data batches.
