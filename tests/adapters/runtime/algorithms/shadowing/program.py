VALUE = "the user's own program module"
