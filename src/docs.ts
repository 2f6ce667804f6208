import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemDto } from './common/openapi/problem.dto';
import { FAMILIES, FAMILY_IDS } from './families/registry';

/** The OpenAPI document, generated from the code (committed as openapi/openapi.json). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('comms-gateway')
    .setDescription(
      `One REST API in front of ${FAMILIES.map((f) => f.title).join(', ')}. ` +
        'Errors are RFC 9457 problem+json; every response carries X-Request-Id.',
    )
    .setVersion('1.0.0')
    .addServer('/')
    .addApiKey({ type: 'apiKey', name: 'X-API-Key', in: 'header' }, 'apiKey')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ProblemDto],
    operationIdFactory: (_controller, method) => method,
  });
  const upstream = document.components?.schemas?.UpstreamDetailDto as { properties: Record<string, object> };
  upstream.properties.service = { ...upstream.properties.service, type: 'string', enum: [...FAMILY_IDS] };
  return document;
}

export function setupDocs(app: INestApplication, document = buildOpenApiDocument(app)): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
    swaggerOptions: { persistAuthorization: false, displayRequestDuration: true },
  });
}
