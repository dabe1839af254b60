using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenVocab.Server.Tests.Hosting;

/// <summary>
/// A client that knows only the OpenAPI document: for every route it builds a request from the document's
/// parameters and request schemas (field names, types, formats), calls the real server, and checks the answer
/// against the documented response schema.
/// </summary>
[Collection(ServerGroup.Name)]
public class OpenApiContractTests(ServerFixture server)
{
    // What a client would fill in, by field name; everything else is chosen from the schema's type.
    private static readonly Dictionary<string, JsonNode> Known = new()
    {
        ["classes"] = new JsonArray("red star", "blue circle"),
        ["labels"] = new JsonArray("red star", "blue circle", "green square"),
        ["texts"] = new JsonArray("a red star"),
        ["text"] = "a photo of a red star.",
        ["template"] = "a photo of a {}.",
        ["classConf"] = "{\"red star\": 0.3}",
        ["class_image_label"] = new JsonArray("blue circle"),
        ["not"] = new JsonArray("a photo of a blue circle."),
        ["attributes"] = new JsonArray("red star: red star, orange star"),
        ["source"] = Path.Combine(OpenVocab.Tests.TestPaths.Samples, "shapes_walk.mp4"),
    };

    [Fact]
    public async Task Every_documented_route_can_be_called_as_documented_and_answers_as_documented()
    {
        var document = JsonNode.Parse(await server.Http.GetStringAsync("/openapi/v1.json"))!;
        var paths = document["paths"]!.AsObject();
        Assert.Equal(
            ["/v1/cameras", "/v1/cameras/{name}", "/v1/cameras/{name}/classes", "/v1/classify", "/v1/classsets", "/v1/classsets/{name}", "/v1/detect", "/v1/embed", "/v1/info", "/v1/search"],
            paths.Select(p => p.Key).Order(StringComparer.Ordinal));

        // Create before read, read before delete.
        string[] order = ["put", "post", "get", "delete"];
        var operations = paths.SelectMany(p => p.Value!.AsObject().Select(o => (Path: p.Key, Method: o.Key, Operation: o.Value!)))
            .OrderBy(o => Array.IndexOf(order, o.Method)).ToList();
        Assert.Equal(14, operations.Count);
        foreach (var (path, method, operation) in operations)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path.Replace("{name}", "from-openapi", StringComparison.Ordinal));
            if (operation["requestBody"]?["content"]?.AsObject() is { } content)
            {
                var (mediaType, media) = content.First();
                request.Content = Body(mediaType, Resolve(document, media!["schema"]!));
            }

            using var response = await server.Http.SendAsync(request);
            var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var text = await response.Content.ReadAsStringAsync();
            var responses = operation["responses"]!.AsObject();
            Assert.True(responses.ContainsKey(status) && status.StartsWith('2'), $"{method} {path}: {status} is not a documented success: {text}");
            if (responses[status]!["content"]?["application/json"]?["schema"] is { } schema)
            {
                Validate(document, schema, JsonNode.Parse(text), $"{method} {path}");
            }
        }
    }

    [Fact]
    public async Task The_prompting_fields_are_documented_for_detect_and_for_class_sets()
    {
        var document = JsonNode.Parse(await server.Http.GetStringAsync("/openapi/v1.json"))!;
        var detect = Resolve(document, document["paths"]!["/v1/detect"]!["post"]!["requestBody"]!["content"]!["multipart/form-data"]!["schema"]!);
        var fields = detect["properties"]!.AsObject();
        foreach (var name in new[] { "images", "classes", "class_image", "class_image_label", "not", "attributes", "classSet", "classConf" })
        {
            Assert.True(fields.ContainsKey(name), $"the detect form does not document '{name}'");
        }

        Assert.Equal("binary", fields["class_image"]!["items"]!["format"]!.GetValue<string>());
        var put = document["paths"]!["/v1/classsets/{name}"]!["put"]!["requestBody"]!["content"]!.AsObject();
        Assert.Equal(["application/json", "multipart/form-data"], put.Select(c => c.Key));
        Assert.True(Resolve(document, put["multipart/form-data"]!["schema"]!)["properties"]!.AsObject().ContainsKey("class_image"));
        Assert.True(Resolve(document, put["application/json"]!["schema"]!)["properties"]!.AsObject().ContainsKey("not"));
    }

    private static HttpContent Body(string mediaType, JsonNode schema)
    {
        var properties = schema["properties"]?.AsObject() ?? [];
        if (mediaType == "application/json")
        {
            var body = new JsonObject();
            foreach (var (name, property) in properties.Where(p => !IsAlternative(p.Value!)))
            {
                body[name] = Value(name, property!);
            }

            return new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        Assert.Equal("multipart/form-data", mediaType);
        var form = new MultipartFormDataContent();
        foreach (var (name, property) in properties.Where(p => !IsAlternative(p.Value!)))
        {
            var isFile = property!["format"]?.GetValue<string>() == "binary" || property["items"]?["format"]?.GetValue<string>() == "binary";
            if (isFile)
            {
                var file = new ByteArrayContent(File.ReadAllBytes(ServerFixture.Sample(1)));
                file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                form.Add(file, name, "shapes_1.jpg");
                continue;
            }

            var value = Value(name, property);
            foreach (var item in value is JsonArray array ? array.Select(a => a!.ToString()) : [value.ToString()])
            {
                form.Add(new StringContent(item), name);
            }
        }

        return form;
    }

    /// <summary>A field documented as an alternative to another ("... instead of ...") is left out, as a client would.</summary>
    private static bool IsAlternative(JsonNode property) =>
        property["description"]?.GetValue<string>().Contains("instead", StringComparison.OrdinalIgnoreCase) == true;

    private static JsonNode Value(string name, JsonNode property)
    {
        if (Known.TryGetValue(name, out var known))
        {
            return known.DeepClone();
        }

        return Types(property).First(t => t != "null") switch
        {
            "integer" => 2,
            "number" => 0.5,
            "boolean" => false,
            "array" => new JsonArray(Value(name + "[]", property["items"]!)),
            _ => "red star",
        };
    }

    private static string[] Types(JsonNode schema) => schema["type"] switch
    {
        JsonArray many => [.. many.Select(t => t!.GetValue<string>())],
        JsonValue one => [one.GetValue<string>()],
        _ => [],
    };

    private static JsonNode Resolve(JsonNode document, JsonNode schema) =>
        schema["$ref"]?.GetValue<string>() is { } reference
            ? Resolve(document, document["components"]!["schemas"]![reference["#/components/schemas/".Length..]]!)
            : schema;

    /// <summary>Checks a value against a schema: types, required properties, and recursively properties and items.</summary>
    private static void Validate(JsonNode document, JsonNode schemaNode, JsonNode? value, string at)
    {
        var schema = Resolve(document, schemaNode);
        if ((schema["oneOf"] ?? schema["anyOf"])?.AsArray() is { } choices)
        {
            // Nullable references are written as a choice between null and the schema.
            var branches = choices.Select(c => Resolve(document, c!)).ToList();
            if (value is null)
            {
                Assert.True(branches.Any(b => Types(b).Contains("null")), $"{at}: null where the document allows no null");
                return;
            }

            schema = branches.First(b => !Types(b).SequenceEqual(["null"]));
        }

        var types = Types(schema);
        var kind = value switch
        {
            null => "null",
            JsonObject => "object",
            JsonArray => "array",
            JsonValue v when v.GetValueKind() == JsonValueKind.String => "string",
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToString().Contains('.', StringComparison.Ordinal) || v.ToString().Contains('e', StringComparison.OrdinalIgnoreCase) ? "number" : "integer",
            _ => "?",
        };
        if (types.Length > 0)
        {
            var ok = types.Contains(kind) || (kind == "integer" && types.Contains("number")) || (kind == "string" && schema["pattern"] is not null && types.Contains("number"));
            Assert.True(ok, $"{at}: {kind} where the document says {string.Join("|", types)}");
        }

        if (value is JsonObject obj)
        {
            foreach (var required in schema["required"]?.AsArray() ?? [])
            {
                Assert.True(obj.ContainsKey(required!.GetValue<string>()), $"{at}: required '{required}' missing");
            }

            foreach (var (name, property) in schema["properties"]?.AsObject() ?? [])
            {
                if (obj.TryGetPropertyValue(name, out var child))
                {
                    Validate(document, property!, child, $"{at}.{name}");
                }
            }

            foreach (var (name, _) in obj)
            {
                Assert.True(schema["properties"]?[name] is not null || schema["additionalProperties"] is not null, $"{at}: '{name}' is not in the document");
            }
        }
        else if (value is JsonArray array && schema["items"] is { } items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Validate(document, items, array[i], $"{at}[{i}]");
            }
        }
    }
}
