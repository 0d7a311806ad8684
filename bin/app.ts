#!/usr/bin/env node
/**
 * The example app: `npx cdk synth` works offline with demo defaults; see the README for the
 * context keys of a real deployment (issuer, JWKS, introspection, audience, regions, scopes).
 */
import { App } from 'aws-cdk-lib';
import { buildExampleApp } from '../lib/example-app.ts';

buildExampleApp(new App());
