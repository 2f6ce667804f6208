import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, type SchemaObject, SwaggerModule } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { refineOpenApiDocument } from './common/openapi/openapi-refiner';
import { ProblemDto } from './common/openapi/problem.dto';
import { FAMILIES, FAMILY_IDS } from './families/registry';

/** The product version (package.json; src/ and dist/ both sit one level below it). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

const operationId = (_controller: string, method: string) => method;

/** The OpenAPI document, generated from the code (committed as openapi/openapi.json). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('comms-gateway')
    .setDescription(
      `One REST API in front of ${FAMILIES.map((f) => f.title).join(', ')}. ` +
        'Errors are RFC 9457 problem+json; every response carries X-Request-Id.',
    )
    .setVersion(packageVersion())
    .addServer('/', 'This gateway (any environment: sandbox, staging or production)')
    .addApiKey(
      {
        type: 'apiKey',
        name: 'X-API-Key',
        in: 'header',
        description:
          'An API key from the operator of this gateway: configured in API_KEYS or API_KEYS_FILE, or issued ' +
          '(`cgw_...`) through POST /v1/admin/api-keys or `npm run keys -- create`. In sandbox mode (UPSTREAM_MODE=sandbox) the gateway prints the demo key ' +
          '`sandbox-demo-key` at start-up. A key without the scope an operation needs gets 403.',
      },
      'apiKey',
    )
    .addApiKey(
      {
        type: 'apiKey',
        name: 'X-API-Key',
        in: 'header',
        description:
          'An API key (the same header) carrying the administration scope the operation names: ' +
          '`admin.keys:manage` or `admin.audit:read`. The first such key comes from API_KEYS or ' +
          '`npm run keys -- create --name ops --scopes admin.keys:manage,admin.audit:read`.',
      },
      'adminApiKey',
    )
    .addTag('meeting', 'Huawei Cloud Meeting: professional-terminal status and hard-terminal activation codes')
    .addTag(
      'contact-center',
      'AICC contact center: terminal registration (CC-CMS), softphones and call state (CC-Management)',
    )
    .addTag('operations', 'Health, metrics and the API key in use')
    .addTag('admin', 'Issued API keys (create, rotate, revoke) and the audit trail')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ProblemDto],
    operationIdFactory: operationId,
  });
  refineOpenApiDocument(app, document, { operationId });
  // One relative server: the same document describes every deployment, public or internal.
  document.servers = document.servers?.map((server) => ({ ...server, 'x-internal': false }));

  // The family vocabulary as a named enum; common/ cannot import the registry, so it is set here.
  const schemas = document.components!.schemas! as Record<string, SchemaObject>;
  schemas.FamilyId = {
    type: 'string',
    enum: [...FAMILY_IDS],
    description: 'An upstream family, as named in `source`, `upstream.service`, readiness and metrics',
  };
  const upstream = schemas.UpstreamDetailDto!;
  upstream.properties!.service = { allOf: [{ $ref: '#/components/schemas/FamilyId' }], description: 'The family' };
  return sortComponents(document);
}

/** Components in name order, so the committed document does not churn with import order. */
function sortComponents(document: OpenAPIObject): OpenAPIObject {
  const components = document.components as Record<string, Record<string, unknown>>;
  for (const [kind, entries] of Object.entries(components)) {
    components[kind] = Object.fromEntries(Object.entries(entries).sort(([a], [b]) => a.localeCompare(b)));
  }
  return document;
}

export function setupDocs(app: INestApplication, document = buildOpenApiDocument(app)): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
    swaggerOptions: { persistAuthorization: false, displayRequestDuration: true },
  });
}
