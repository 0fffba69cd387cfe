"""Work that spans modules, composed from their services."""
