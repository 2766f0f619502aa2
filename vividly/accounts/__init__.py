"""Identity: users with roles, classrooms, service tokens."""
