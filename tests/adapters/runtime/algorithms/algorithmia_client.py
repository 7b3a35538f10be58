def apply(input):
    import Algorithmia  # the official client, configured by the environment alone

    return Algorithmia.client().algo("demo/echo").pipe(input).result
