// Copy-paste snippets that call an algorithm: curl, the modelport client, the official
// algorithmia client and the modelport CLI, filled with this server's address.

function shellQuote(text) {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

function pythonLiteral(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pythonLiteral(v)}`).join(", ")}}`;
  }
  return JSON.stringify(value);
}

/** [{id, label, code}] for `ref` ("owner/name/version") taking `input` ("image"|"json"|"text"). */
export function snippets({ ref, input, sample }) {
  const origin = window.location.origin;
  const url = `${origin}/v1/algo/${ref}`;
  const key = "YOUR_API_KEY";
  const example = sample ?? (input === "text" ? "hello" : {});
  const json = typeof example === "string" && input === "text" ? example : JSON.stringify(example);
  if (input === "image") {
    return [
      {
        id: "curl",
        label: "curl",
        code: `curl -X POST -H 'Authorization: Simple ${key}' \\\n  -H 'Content-Type: image/jpeg' --data-binary @image.jpg \\\n  ${url}`,
      },
      {
        id: "python",
        label: "Python (modelport)",
        code: `from pathlib import Path\nfrom modelport import Client\n\nclient = Client("${key}", "${origin}")\nimage = Path("image.jpg").read_bytes()\nprint(client.algo("${ref}").pipe(image).result)`,
      },
      {
        id: "algorithmia",
        label: "Python (algorithmia)",
        code: `import Algorithmia\n\nclient = Algorithmia.client("${key}", api_address="${origin}")\nimage = open("image.jpg", "rb").read()\nprint(client.algo("${ref}").pipe(image).result)`,
      },
      { id: "cli", label: "CLI", code: `modelport call ${ref} -f image.jpg\ncat image.jpg | modelport call ${ref}` },
    ];
  }
  const type = input === "text" ? "text/plain" : "application/json";
  const literal = input === "text" ? JSON.stringify(String(example)) : pythonLiteral(example);
  return [
    {
      id: "curl",
      label: "curl",
      code: `curl -X POST -H 'Authorization: Simple ${key}' \\\n  -H 'Content-Type: ${type}' \\\n  -d ${shellQuote(json)} \\\n  ${url}`,
    },
    {
      id: "python",
      label: "Python (modelport)",
      code: `from modelport import Client\n\nclient = Client("${key}", "${origin}")\nprint(client.algo("${ref}").pipe(${literal}).result)`,
    },
    {
      id: "algorithmia",
      label: "Python (algorithmia)",
      code: `import Algorithmia\n\nclient = Algorithmia.client("${key}", api_address="${origin}")\nprint(client.algo("${ref}").pipe(${literal}).result)`,
    },
    {
      id: "cli",
      label: "CLI",
      code: input === "text" ? `modelport call ${ref} --text ${shellQuote(json)}` : `modelport call ${ref} -i ${shellQuote(json)}`,
    },
  ];
}
