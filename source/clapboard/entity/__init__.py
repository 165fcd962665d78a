"""Entity classes: the base class, the class factory and helpers per entity type."""
