#!/usr/bin/env node
import {boot} from '../dist/boot.js'

await boot(import.meta.url)
