pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.s3", "tests.fixtures.server"]
